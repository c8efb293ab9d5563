import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from './postgres.js';

/*
 * A server behind a network partition accepts nothing and answers nothing; one that takes the
 * TCP connection and then never speaks is the same to a client, and can be made locally.
 */
describe(openPostgres.name, () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  let url: string;
  beforeAll(async () => {
    server = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `postgres://ordersys@127.0.0.1:${(server.address() as net.AddressInfo).port}/ordersys`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up getting a connection from a server that never answers, instead of waiting forever', async () => {
    const start = performance.now();
    const opened = openPostgres(url, 1, 'connect-test', { connectionTimeoutMs: 300 });
    const stillWaiting = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000).unref());
    await expect(Promise.race([opened, stillWaiting])).rejects.toThrow(/timeout/i);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
