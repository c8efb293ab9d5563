import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { deliverNotifications, dispatchStranded } from './notification.delivery.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    notifications_deliver: { tenantId: string; ids: string[] };
    notifications_sweep: Record<string, never>;
  }
}

// Retries of single notifications are re-enqueued by the service with their own backoff; these
// pg-boss retries only cover a job that crashed as a whole (database down, worker killed).
defineQueue({ name: 'notifications_deliver', retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 900 });
// Singleton: a killed worker's sweep blocks the next ones until it expires, so expiry is short.
defineQueue({ name: 'notifications_sweep', retryLimit: 1, expireInSeconds: 60, policy: 'singleton' });

export async function registerNotificationJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('notifications_deliver', { batchSize: 5 }, async (jobs) => {
    for (const job of jobs) await deliverNotifications(ctx, job.data.tenantId, job.data.ids);
  });
  await ctx.queue.work('notifications_sweep', { batchSize: 1 }, async () => {
    const n = await dispatchStranded(ctx);
    if (n > 0) ctx.logger.info({ dispatched: n }, 'dispatched queued notifications that had no job');
  });
  await ctx.queue.schedule('notifications_sweep', '* * * * *', {});
}
