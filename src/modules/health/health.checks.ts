import type { AppContext } from '../../context.js';
import { pingRedis } from '../../platform/redis.js';

/** How long one readiness check may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 5000;

export interface Check {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  status: 'ready' | 'degraded' | 'unavailable';
  checks: { database: Check; queue: Check; redis?: Check };
}

/*
 * Every check is bounded: a lock on pgboss.queue, or a database behind a network partition,
 * would otherwise hold the probe (and the load balancer waiting on it) forever. The check
 * itself is not cancelled; its late answer is ignored.
 */
async function timed(limitMs: number, fn: () => Promise<unknown>): Promise<Check> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs);
  });
  try {
    await Promise.race([fn(), timeout]);
    return { ok: true, latencyMs: Math.round(performance.now() - start) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - start), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/*
 * Reading pgboss.queue waits behind any lock on it. statement_timeout makes the server give up
 * a little after the probe has: probes repeated while a lock is held must not each keep a pool
 * connection until it is released, or the probe alone would starve the API of connections.
 */
function queueAnswers(ctx: AppContext, limitMs: number): Promise<unknown> {
  return ctx.db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL statement_timeout = ${Math.ceil(limitMs) + 1000}`);
    return tx.query('SELECT count(*) AS n FROM pgboss.queue');
  });
}

/**
 * The database and the queue decide readiness. Redis only degrades it: every API read that uses
 * Redis falls back to PostgreSQL when it fails (analytics.service.ts: KPIs, revenue,
 * leaderboard), rate limits let requests through (rate-limit.ts, skipOnError) and the dashboard
 * stream polls. Taking the API out of the load balancer would refuse what it can still answer.
 */
export async function readiness(ctx: AppContext, limitMs = CHECK_TIMEOUT_MS): Promise<Readiness> {
  const [database, queue, redis] = await Promise.all([
    timed(limitMs, () => ctx.db.query('SELECT 1 AS ok')),
    timed(limitMs, () => queueAnswers(ctx, limitMs)),
    ctx.redis ? timed(limitMs, () => pingRedis(ctx.redis!)) : undefined,
  ]);
  const status = !database.ok || !queue.ok ? 'unavailable' : redis && !redis.ok ? 'degraded' : 'ready';
  return { status, checks: { database, queue, ...(redis && { redis }) } };
}
