import net from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/types.js';
import { JobQueue } from './queue.js';

/*
 * pg-boss opens its own pool on PostgreSQL. A server that takes the TCP connection and never
 * speaks stands for one behind a network partition (as in postgres.connect.test.ts).
 */
describe(JobQueue.name, () => {
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

  it('gives up starting against a server that never answers, instead of waiting forever', async () => {
    // Given a URL, start() reads only the kind of the database: pg-boss connects on its own.
    const postgres = { kind: 'postgres' } as Database;
    const started = JobQueue.start(postgres, { url, connectionTimeoutMs: 300 }, pino({ level: 'silent' }), { supervise: false });
    const stillWaiting = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000).unref());
    await expect(Promise.race([started, stillWaiting])).rejects.toThrow(/timeout/i);
  });
});
