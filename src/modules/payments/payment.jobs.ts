import type { AppContext } from '../../context.js';
import { mergeByTenant } from '../../platform/queue/merge.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { requestPayments } from './payment.service.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    payments_request: { tenantId: string; orderIds: string[] };
  }
}

// Short expiry, so a killed worker's payments are retried within a minute: a fetch only opens
// payments and hands them to the gateway, which answers by webhook. A retry opens no second
// payment (one unfailed payment per order), and the gateway's answers for one payment carry one
// event id, which the webhook applies once.
defineQueue({ name: 'payments_request', retryLimit: 10, retryDelay: 2, retryBackoff: true, expireInSeconds: 60 });

/** Orders per payments transaction when a fetch's jobs are merged (reservation batches are <= 500). */
const PAYMENT_BATCH = 500;

export async function registerPaymentJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('payments_request', { batchSize: 20 }, async (jobs) => {
    for (const batch of mergeByTenant(jobs, PAYMENT_BATCH)) await requestPayments(ctx, batch.tenantId, batch.orderIds);
  });
}
