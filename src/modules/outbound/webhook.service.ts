import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { DomainError, notFound } from '../../platform/errors.js';
import { deleteSubscription, findSubscription, insertSubscription, listSubscriptions, scheduleRedelivery, type Subscription } from './webhook.repository.js';
import { newSecretSalt, subscriptionSecret } from './webhook.secret.js';

export async function createSubscription(ctx: AppContext, tx: Executor, tenantId: string, url: string, events: readonly string[]): Promise<{ subscription: Subscription; secret: string }> {
  const subscription = await insertSubscription(tx, tenantId, url, events, newSecretSalt());
  return { subscription, secret: subscriptionSecret(ctx.config.secret, subscription.id, subscription.secretSalt) };
}

export function subscriptionsOf(ctx: AppContext, tenantId: string): Promise<Subscription[]> {
  return listSubscriptions(ctx.db, tenantId);
}

export async function removeSubscription(ctx: AppContext, tenantId: string, id: string): Promise<void> {
  const removed = await ctx.db.transaction((tx) => deleteSubscription(tx, tenantId, id));
  if (!removed) throw notFound('Webhook subscription', id);
}

/** Makes a delivery due now and wakes a delivery job; the subscriber dedupes on the event id. */
export async function redeliver(ctx: AppContext, tenantId: string, subscriptionId: string, deliveryId: number): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const sub = await findSubscription(tx, tenantId, subscriptionId);
    if (!sub) throw notFound('Webhook subscription', subscriptionId);
    if (!(await scheduleRedelivery(tx, sub.id, deliveryId, ctx.config.outbound.retryForMs))) {
      throw new DomainError('NOT_FOUND', `Delivery ${deliveryId} does not belong to webhook subscription ${subscriptionId}.`, { deliveryId });
    }
    await ctx.queue.send(tx, 'outbound_deliver', {});
  });
}
