import type { AppContext } from '../../context.js';
import { mergeByTenant } from '../../platform/queue/merge.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { reaskStalePayments } from './payment.reask.js';
import { requestPayments } from './payment.service.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    payments_request: { tenantId: string; orderIds: string[] };
    payments_reask: Record<string, never>;
  }
}

// Short expiry, so a killed worker's payments are retried within a minute: a fetch only opens
// payments and hands them to the gateway, which answers by webhook. A retry opens no second
// payment (one unfailed payment per order), and the gateway's answers for one payment carry one
// event id, which the webhook applies once.
defineQueue({ name: 'payments_request', retryLimit: 10, retryDelay: 2, retryBackoff: true, expireInSeconds: 60 });

// Singleton: one sweep at a time across every worker (see payment.reask.ts).
defineQueue({ name: 'payments_reask', retryLimit: 2, expireInSeconds: 60, policy: 'singleton' });

/** Orders per payments transaction when a fetch's jobs are merged (reservation batches are <= 500). */
const PAYMENT_BATCH = 500;

export async function registerPaymentJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('payments_request', { batchSize: 20 }, async (jobs) => {
    for (const batch of mergeByTenant(jobs, PAYMENT_BATCH)) await requestPayments(ctx, batch.tenantId, batch.orderIds);
  });
  await ctx.queue.work('payments_reask', { batchSize: 1 }, async () => {
    const n = await reaskStalePayments(ctx);
    if (n > 0) ctx.logger.warn({ payments: n }, 'asked the gateway again about payments whose answer never came');
  });
  await ctx.queue.schedule('payments_reask', '* * * * *', {});
}
