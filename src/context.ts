import type { Redis } from 'ioredis';
import type { Config } from './config/config.js';
import { openDatabase, type Database } from './platform/db/index.js';
import { migrate } from './platform/db/migrate.js';
import type { Logger } from './platform/logger.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import { JobQueue } from './platform/queue/queue.js';
import { createRedis } from './platform/redis.js';
import { modules } from './modules/index.js'; // importing it registers every module's queues before the queue starts

export type Role = 'api' | 'worker' | 'all' | 'cli';

/** Everything a module needs, built once per process. */
export interface AppContext {
  readonly config: Config & { readonly secret: string };
  readonly logger: Logger;
  readonly db: Database;
  readonly queue: JobQueue;
  readonly redis: Redis | undefined;
  readonly metrics: Metrics;
  readonly role: Role;
}

export async function createContext(config: Config, logger: Logger, role: Role, opened?: { db: Database }): Promise<AppContext> {
  if (!config.secret) throw new Error('createContext needs a resolved secret: call resolveSecret(config) first.');
  const db = opened?.db ?? (await openDatabase(config, `ordersys-${role}`));
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'applied migrations');
    const metrics = createMetrics();
    const queue = await JobQueue.start(db, { url: config.database.kind === 'postgres' ? config.database.url : undefined }, logger, {
      supervise: role === 'worker' || role === 'all',
      outcomes: metrics.jobsProcessed,
    });
    let redis: Redis | undefined;
    if (config.redisUrl) {
      redis = createRedis(config.redisUrl, logger, `ordersys-${role}`);
      await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis not reachable at start; continuing'));
    }
    const ctx: AppContext = { config: config as AppContext['config'], logger, db, queue, redis, metrics, role };
    for (const module of modules) await module.init?.(ctx);
    return ctx;
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** Order matters: stop taking jobs, then close what they write to. */
export async function closeContext(ctx: AppContext): Promise<void> {
  for (const module of modules) {
    await module.stop?.(ctx).catch((err: unknown) => ctx.logger.error({ err, module: module.name }, 'module stop failed'));
  }
  await ctx.queue.stop(ctx.config.shutdownTimeoutMs).catch((err) => ctx.logger.error({ err }, 'queue stop failed'));
  if (ctx.redis) ctx.redis.disconnect();
  await ctx.db.close();
}
