import net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis, pingRedis } from './redis.js';
import { closedPort } from '../../test/ports.js';

/**
 * A Redis that gets ready (answers the client's setup commands) and then never answers again:
 * the server behind a partition, as seen from a client already connected to it.
 */
async function redisThatGoesSilent(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data) => {
      for (const [, command] of data.toString().matchAll(/\*\d+\r\n\$\d+\r\n(\w+)\r\n/g)) {
        if (/^info$/i.test(command!)) socket.write('$9\r\nloading:0\r\n');
        else if (/^client$/i.test(command!)) socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe(pingRedis.name, () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });
  const client = (url: string) => {
    const redis = createRedis(url, pino({ level: 'silent' }), 'ping-test');
    cleanup.push(() => redis.disconnect());
    return redis;
  };

  it('says the connection is refused, not just that there was no answer', async () => {
    const port = await closedPort();
    const redis = client(`redis://127.0.0.1:${port}`);
    await redis.connect().catch(() => {});
    await expect(pingRedis(redis)).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('says a connected Redis did not answer in time', async () => {
    const silent = await redisThatGoesSilent();
    cleanup.push(() => silent.close());
    const redis = client(silent.url);
    await redis.connect();
    await expect(pingRedis(redis, 200)).rejects.toThrow('no answer within 200 ms');
  });
});
