import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { PeriodicRunner } from '../../platform/periodic.js';
import { outboxDir } from '../notifications/channels/email.channel.js';
import { applyRetention, pruneOutbox, retentionCounter } from './retention.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    maintenance_retention: Record<string, never>;
  }
}

/*
 * Hourly rather than nightly: each run deletes the hour's worth of rows that aged out, a few
 * batches, instead of a day's worth at once. A run outliving its expiry is retried beside itself,
 * which is harmless: both take disjoint batches (SKIP LOCKED) and stop when nothing is left.
 */
defineQueue({ name: 'maintenance_retention', retryLimit: 2, retryDelay: 60, expireInSeconds: 30 * 60 });

const OUTBOX_INTERVAL_MS = 3_600_000;
const outboxPruners = new WeakMap<AppContext, PeriodicRunner>();

export async function registerRetentionJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('maintenance_retention', { batchSize: 1 }, async () => {
    const deleted = await applyRetention(ctx.db, ctx.config.retention);
    const counter = retentionCounter(ctx.metrics.registry);
    for (const [table, n] of Object.entries(deleted)) if (n > 0) counter.inc({ table }, n);
    ctx.logger.info({ deleted }, 'retention: deleted rows older than their window');
  });
  await ctx.queue.schedule('maintenance_retention', '17 * * * *', {});

  // The .eml outbox is on this machine's disk: every worker process prunes its own, not just the
  // one that happens to take the cron job.
  const pruner = new PeriodicRunner(ctx.logger, async () => {
    const files = await pruneOutbox(outboxDir(ctx.config.dataDir), ctx.config.retention.notificationsDays);
    if (files > 0) {
      retentionCounter(ctx.metrics.registry).inc({ table: 'outbox_files' }, files);
      ctx.logger.info({ deleted: { outbox_files: files } }, 'retention: deleted old .eml files from the outbox');
    }
    return files;
  });
  outboxPruners.set(ctx, pruner);
  pruner.start(OUTBOX_INTERVAL_MS);
}

export async function stopRetentionJobs(ctx: AppContext): Promise<void> {
  await outboxPruners.get(ctx)?.stop();
  outboxPruners.delete(ctx);
}
