import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
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
 */
export class ProjectorRunner {
  private running: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private warnedAt = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly projector: Projector,
  ) {}

  /** Runs the projector, or joins the run already in progress. */
  run(): Promise<number> {
    return (this.running ??= this.projector.runOnce().finally(() => (this.running = undefined)));
  }

  start(intervalMs = PROJECT_INTERVAL_MS): void {
    const tick = async () => {
      try {
        await this.run();
      } catch (err) {
        // Redis or the database is away: orders keep flowing, we catch up from the checkpoint.
        if (!this.stopped && Date.now() - this.warnedAt > 60_000) {
          this.warnedAt = Date.now();
          this.ctx.logger.warn({ err: (err as Error).message }, 'analytics projector failed; retrying');
        }
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), intervalMs).unref();
    };
    this.timer = setTimeout(() => void tick(), intervalMs).unref();
  }

  /** No new runs; waits for the one in flight so it never outlives the connections it uses. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
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
  runner.start();
}

/** Stops this process's projector loop and waits for a run in flight; call before closing Redis and the database. */
export async function stopAnalytics(ctx: AppContext): Promise<void> {
  await runners.get(ctx)?.stop();
}
