import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { conflict, notFound } from '../../platform/errors.js';
import {
  findNotification,
  listNotifications,
  notificationTotals,
  requeue,
  type NotificationFilter,
  type NotificationTotals,
} from './notification.repository.js';
import type { Notification } from './notification.types.js';

export interface NotificationReport {
  items: Notification[];
  totals: NotificationTotals;
}

/** The history behind `GET /notifications` and `ordersys notifications report`: one page and the totals of the whole filter. */
export async function notificationReport(
  ex: Executor,
  tenantId: string,
  filter: NotificationFilter,
  page: { limit: number; offset: number },
): Promise<NotificationReport> {
  const [items, totals] = await Promise.all([listNotifications(ex, tenantId, filter, page), notificationTotals(ex, tenantId, filter)]);
  return { items, totals };
}

/**
 * Sends one notification again (an operator's decision): it is queued with a fresh retry budget
 * and a delivery job, in one transaction. Attempts keep counting; earlier attempts stay on record.
 */
export async function resendNotification(ctx: Pick<AppContext, 'queue'>, tx: Executor, tenantId: string, id: string): Promise<Notification> {
  const requeued = await requeue(tx, tenantId, id);
  if (!requeued) {
    const existing = await findNotification(tx, tenantId, id);
    if (!existing) throw notFound('Notification', id);
    throw conflict(`Notification ${id} is already queued; it is delivered or retried on its own (next attempt at ${existing.dueAt.toISOString()}).`, {
      status: existing.status,
    });
  }
  await ctx.queue.send(tx, 'notifications_deliver', { tenantId, ids: [id] });
  return requeued;
}
