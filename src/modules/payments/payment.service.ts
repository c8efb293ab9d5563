import type { AppContext } from '../../context.js';
import { gatewayOf } from './gateway.runtime.js';
import { openPayments } from './payment.repository.js';
import { applyPaymentOutcomes } from './payment-events.service.js';

/**
 * Takes payment for reserved orders: opens pending payments (committed first, so the gateway is
 * only ever asked about payments that exist), then asks the gateway, which answers by webhook.
 * Safe to repeat: a retry re-asks about the same pending payment ids, and the gateway's answer
 * for an id is one event id the webhook handler applies once. Free orders complete at once.
 */
export async function requestPayments(ctx: AppContext, tenantId: string, orderIds: readonly string[]): Promise<number> {
  const pending = await ctx.db.transaction(async (tx) => {
    const payments = await openPayments(tx, tenantId, orderIds);
    const free = payments.filter((p) => p.amount === 0);
    await applyPaymentOutcomes(tx, tenantId, free.map((p) => ({ orderId: p.orderId, paymentId: p.paymentId, status: 'succeeded' })));
    return payments.filter((p) => p.amount > 0);
  });
  await gatewayOf(ctx).authorizeMany(pending);
  return pending.length;
}
