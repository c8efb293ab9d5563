import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { PeriodicRunner } from '../../platform/periodic.js';
import { Projector } from './projector.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    analytics_project: Record<string, never>;
  }
}

// A missed minute is harmless: the next run starts from the checkpoint in Redis.
defineQueue({ name: 'analytics_project', retryLimit: 0, expireInSeconds: 300 });

/** How often a worker process looks for new events between cron runs. */
export const PROJECT_INTERVAL_MS = 300;

/**
 * One projector per process: the cron job and the in-process loop share it, so they never run
 * at the same time here (across processes the checkpoint check in Redis keeps them apart).
 * Redis or the database away: orders keep flowing, the projector catches up from its checkpoint.
 */
export class ProjectorRunner extends PeriodicRunner {
  constructor(ctx: AppContext, projector: Projector) {
    super(ctx.logger, () => projector.runOnce());
  }
}

const runners = new WeakMap<AppContext, ProjectorRunner>();

export async function registerAnalyticsJobs(ctx: AppContext): Promise<void> {
  const redis = ctx.redis;
  if (!redis) return; // without Redis, reads come from the ledger: nothing to project
  const runner = new ProjectorRunner(ctx, new Projector({ db: ctx.db, redis, logger: ctx.logger, metrics: ctx.metrics }));
  runners.set(ctx, runner);
  await ctx.queue.work('analytics_project', { batchSize: 1 }, async () => {
    await runner.run();
  });
  await ctx.queue.schedule('analytics_project', '* * * * *', {});
  runner.start(PROJECT_INTERVAL_MS);
}

/** Stops this process's projector loop and waits for a run in flight; call before closing Redis and the database. */
export async function stopAnalytics(ctx: AppContext): Promise<void> {
  await runners.get(ctx)?.stop();
}
