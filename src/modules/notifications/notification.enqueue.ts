import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import type { TransitionListener } from '../orders/order.transitions.js';
import type { TransitionName } from '../orders/order.state.js';
import { insertImportNotifications, insertOrderNotifications, type OrderNotificationRow } from './notification.repository.js';
import { boundDeps, DELIVER_BATCH, notifyDepsOf, type NotifyDeps } from './notification.runtime.js';
import type { NotificationRequest, OrderNotificationType } from './notification.types.js';

/**
 * Records the notifications a change causes, inside that change's transaction, and enqueues their
 * delivery jobs in the same transaction: they exist if and only if the change commits. Set-based:
 * two statements whatever the number of requests. Repeating a request (a retried webhook, a
 * re-applied transition) inserts nothing, because each (subject, type, channel) has one dedupe key.
 * Pass the context when you have one; without it the process binding is used (see runtime).
 * Returns the ids of the rows created.
 */
export async function enqueueNotifications(
  tx: Executor,
  tenantId: string,
  requests: readonly NotificationRequest[],
  ctx?: Pick<AppContext, 'queue' | 'config'>,
): Promise<string[]> {
  if (requests.length === 0) return [];
  const deps: NotifyDeps = ctx ? notifyDepsOf(ctx) : boundDeps();
  const dispatched = deps.queue !== undefined;
  const orderRows: OrderNotificationRow[] = [];
  const importIds: string[] = [];
  for (const r of requests) {
    if (r.type === 'import_finished') importIds.push(r.importId);
    else if (r.type === 'refund_processed') {
      orderRows.push({
        orderId: r.orderId,
        type: r.type,
        keySuffix: `:${r.refundId}`,
        payload: { refundId: r.refundId, amount: r.amount, currency: r.currency },
      });
    } else orderRows.push({ orderId: r.orderId, type: r.type, keySuffix: '', payload: {} });
  }
  const ids = [
    ...(await insertOrderNotifications(tx, tenantId, orderRows, deps.channels, dispatched)),
    ...(await insertImportNotifications(tx, tenantId, importIds, deps.channels, dispatched)),
  ];
  if (deps.queue && ids.length > 0) {
    const jobs = [];
    for (let i = 0; i < ids.length; i += DELIVER_BATCH) jobs.push({ tenantId, ids: ids.slice(i, i + DELIVER_BATCH) });
    await deps.queue.sendMany(tx, 'notifications_deliver', jobs);
  }
  return ids;
}

/** Which customer notification a transition causes; reserve and fail cause none. */
export const NOTIFY_ON: Partial<Record<TransitionName, OrderNotificationType>> = {
  complete: 'order_confirmation',
  payFail: 'payment_failed',
  cancel: 'order_cancelled',
  ship: 'order_shipped',
  deliver: 'order_delivered',
};

/** Runs in every transition's transaction; only orders that actually moved are notified. */
export const notifyOnTransition: TransitionListener = async (tx, tenantId, name, moved) => {
  const type = NOTIFY_ON[name];
  if (!type) return;
  await enqueueNotifications(
    tx,
    tenantId,
    moved.map((m) => ({ type, orderId: m.orderId })),
  );
};
