import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Each client's last connection error, until it is ready again: why it is away. */
const connectionErrors = new WeakMap<Redis, Error>();

/**
 * Redis is optional and never the source of truth: commands fail fast while it is away (no
 * offline queue) so callers fall back to Postgres or catch up later instead of piling up writes.
 */
export function createRedis(url: string, logger: Logger, name = 'ordersys'): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let warned = false;
  redis.on('error', (err) => {
    connectionErrors.set(redis, err);
    if (!warned) logger.warn({ err: err.message }, 'redis unavailable; retrying');
    warned = true;
  });
  redis.on('ready', () => {
    connectionErrors.delete(redis);
    if (warned) logger.info('redis connection restored');
    warned = false;
  });
  return redis;
}

/**
 * Resolves when Redis answers PING; rejects with why it did not. While disconnected, ioredis
 * refuses every command with "Stream isn't writeable" (no offline queue), which says nothing:
 * the reason is the connection's last error (refused, unknown host, bad password).
 */
export async function pingRedis(redis: Redis, timeoutMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (reply !== 'PONG') throw new Error(`PING answered ${String(reply)}`);
  } catch (err) {
    if (redis.status === 'ready') throw err;
    const cause = connectionErrors.get(redis);
    throw new Error(cause ? `${cause.message} (${redis.status})` : `not connected (${redis.status})`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
