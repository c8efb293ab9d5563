import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { reaskStaleRefunds, refundCapturedLate, requestRefunds } from './refund.service.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    refunds_request: { tenantId: string; refundIds: string[] };
    refunds_captured_late: Record<string, never>;
    refunds_reask: Record<string, never>;
  }
}

defineQueue({ name: 'refunds_request', retryLimit: 10, retryDelay: 2, retryBackoff: true, expireInSeconds: 300 });
// Singleton: a killed worker's sweep blocks the next ones until it expires, so expiry is short.
// Also books again what a declined refund of a cancelled order left unpaid (refundCapturedLate).
defineQueue({ name: 'refunds_captured_late', retryLimit: 2, expireInSeconds: 60, policy: 'singleton' });
// Refunds whose answer never came (reaskStaleRefunds), one sweep at a time.
defineQueue({ name: 'refunds_reask', retryLimit: 2, expireInSeconds: 60, policy: 'singleton' });

export async function registerRefundJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('refunds_request', { batchSize: 20 }, async (jobs) => {
    for (const job of jobs) await requestRefunds(ctx, job.data.tenantId, job.data.refundIds);
  });
  await ctx.queue.work('refunds_captured_late', { batchSize: 1 }, async () => {
    const n = await refundCapturedLate(ctx);
    if (n > 0) ctx.logger.info({ refunds: n }, 'booked refunds of money cancelled orders still owed (captured late or declined)');
  });
  await ctx.queue.schedule('refunds_captured_late', '* * * * *', {});
  await ctx.queue.work('refunds_reask', { batchSize: 1 }, async () => {
    const n = await reaskStaleRefunds(ctx);
    if (n > 0) ctx.logger.warn({ refunds: n }, 'asked the gateway again about refunds whose answer never came');
  });
  await ctx.queue.schedule('refunds_reask', '* * * * *', {});
}
