import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { requestPayments } from './payment.service.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    payments_request: { tenantId: string; orderIds: string[] };
  }
}

defineQueue({ name: 'payments_request', retryLimit: 10, retryDelay: 2, retryBackoff: true, expireInSeconds: 300 });

export async function registerPaymentJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('payments_request', { batchSize: 20 }, async (jobs) => {
    for (const job of jobs) await requestPayments(ctx, job.data.tenantId, job.data.orderIds);
  });
}
