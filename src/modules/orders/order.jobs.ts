import type { AppContext } from '../../context.js';
import { mergeByTenant } from '../../platform/queue/merge.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { RESERVE_BATCH } from './order.create.js';
import { expireHolds, reserveBatch } from './order.workflow.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    /** skipped: a follow-up for orders an earlier batch passed over because another transaction held them. */
    orders_reserve: { tenantId: string; orderIds: string[]; skipped?: true };
    orders_expire_holds: Record<string, never>;
  }
}

/*
 * Expiry is how long a killed worker's jobs wait before another worker retries them, so it is
 * kept short: one fetch (10 jobs of at most 500 orders, one transaction each) takes seconds at the
 * measured ~800 orders/s. Outliving it is harmless: the retry only moves orders still pending,
 * under their row locks (reserveOrders), and the sweep hands each order to one worker (SKIP LOCKED).
 */
defineQueue({ name: 'orders_reserve', retryLimit: 10, retryDelay: 1, retryBackoff: true, expireInSeconds: 60 });
defineQueue({ name: 'orders_expire_holds', retryLimit: 2, expireInSeconds: 60 });

export async function registerOrderJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('orders_reserve', { batchSize: 10 }, async (jobs) => {
    // The pid in this line is how the chaos suite shows two workers never reserve the same order.
    ctx.logger.debug({ orderIds: jobs.flatMap((j) => j.data.orderIds) }, 'orders_reserve batch');
    for (const batch of mergeByTenant(jobs, RESERVE_BATCH)) await reserveBatch(ctx, batch.tenantId, batch.orderIds);
  });
  await ctx.queue.work('orders_expire_holds', { batchSize: 1 }, async () => {
    const n = await expireHolds(ctx);
    if (n > 0) ctx.logger.info({ cancelled: n }, 'released expired reservations');
  });
  await ctx.queue.schedule('orders_expire_holds', '* * * * *', {});
}
