import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { appendEvents } from '../orders/order.events.js';
import { lockOrders } from '../orders/order.repository.js';
import { applyTransition } from '../orders/order.transitions.js';
import { settleReservations } from '../orders/reservation.js';
import { DECLINE_MESSAGES, type GatewayEvent } from './gateway/events.js';
import { settlePayments } from './payment.repository.js';
import { isUuid } from '../../platform/uuid.js';

type PaymentEvent = Extract<GatewayEvent, { type: 'payment.succeeded' | 'payment.failed' }>;
export type RefundEvent = Extract<GatewayEvent, { type: 'refund.succeeded' | 'refund.failed' }>;

/** Set by the refunds module: applies new (already deduplicated) refund events in the same transaction. */
export const refundEventHandler: { apply?: (tx: Executor, tenantId: string, events: RefundEvent[]) => Promise<void> } = {};


/**
 * Applies gateway events exactly once. The event id is recorded in the same transaction as its
 * effect, so a duplicate, late or replayed event finds its id taken and changes nothing; a
 * failure after a success finds the payment no longer pending and changes nothing either.
 * Returns how many events were new.
 */
export async function applyGatewayEvents(ctx: Pick<AppContext, 'db' | 'logger'>, events: readonly GatewayEvent[]): Promise<number> {
  const valid = events.filter((e) => isUuid(e.data.tenant_id) && isUuid(e.data.order_id));
  const payments = valid.filter((e): e is PaymentEvent => e.type === 'payment.succeeded' || e.type === 'payment.failed');
  const refunds = valid.filter((e): e is RefundEvent => e.type === 'refund.succeeded' || e.type === 'refund.failed');
  // One transaction per kind: each locks its orders, then its products, in one sorted run.
  let applied = 0;
  if (payments.length) applied += await applyOnce(ctx, payments, applyPaymentEvents);
  if (refunds.length) {
    const apply = refundEventHandler.apply;
    if (!apply) throw new Error('refund events arrived but no refund handler is registered');
    applied += await applyOnce(ctx, refunds, apply);
  }
  return applied;
}

/**
 * Records the event ids and applies only those not seen before, in the same transaction.
 * Ids are inserted in sorted order: two batches in flight holding the same duplicated events
 * then wait on each other's keys in one order instead of deadlocking.
 */
async function applyOnce<E extends GatewayEvent>(
  ctx: Pick<AppContext, 'db'>,
  events: readonly E[],
  apply: (tx: Executor, tenantId: string, events: E[]) => Promise<void>,
): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ eventId: string }>(
      `INSERT INTO gateway_events (event_id, tenant_id, type, outcome)
       SELECT e.id, e.tenant, e.type, 'applied' FROM unnest($1::text[], $2::uuid[], $3::text[]) AS e(id, tenant, type)
       JOIN tenants t ON t.id = e.tenant
       ORDER BY e.id
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id AS "eventId"`,
      [events.map((e) => e.id), events.map((e) => e.data.tenant_id), events.map((e) => e.type)],
    );
    const fresh = new Set(rows.map((r) => r.eventId));
    const byTenant = new Map<string, E[]>();
    for (const e of events) {
      if (!fresh.delete(e.id)) continue; // seen before, or the same id twice in this batch
      push(byTenant, e.data.tenant_id, e);
    }
    for (const [tenantId, tenantEvents] of byTenant) await apply(tx, tenantId, tenantEvents);
    return rows.length;
  });
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function applyPaymentEvents(tx: Executor, tenantId: string, events: PaymentEvent[]): Promise<void> {
  return applyPaymentOutcomes(
    tx,
    tenantId,
    events.map((e) =>
      e.type === 'payment.succeeded'
        ? { orderId: e.data.order_id, paymentId: e.data.payment_id, status: 'succeeded' as const }
        : { orderId: e.data.order_id, paymentId: e.data.payment_id, status: 'failed' as const, declineCode: e.data.decline_code },
    ),
  );
}

export interface PaymentOutcome {
  orderId: string;
  paymentId: string;
  status: 'succeeded' | 'failed';
  declineCode?: string;
}

/**
 * Finalize (payment succeeded: reservation committed, order completed) or roll back (declined:
 * reservation released, order payment_failed). Only payments still pending move, so applying an
 * outcome twice, or a failure after a success, changes nothing.
 */
export async function applyPaymentOutcomes(tx: Executor, tenantId: string, outcomes: readonly PaymentOutcome[]): Promise<void> {
  // Orders first, by id; settleReservations then locks products by id: the global lock order.
  await lockOrders(tx, tenantId, [...new Set(outcomes.map((o) => o.orderId))]);
  const moved = await settlePayments(tx, tenantId, outcomes);
  const succeeded = moved.filter((p) => p.status === 'succeeded');
  const failed = moved.filter((p) => p.status === 'failed');

  const completed = await applyTransition(
    tx,
    tenantId,
    'complete',
    succeeded.map((p) => ({ orderId: p.orderId, data: { paymentId: p.paymentId, amount: p.amount } })),
  );
  // Money taken for an order that was cancelled meanwhile (hold expired): on record, to refund.
  const done = new Set(completed.map((c) => c.orderId));
  await appendEvents(
    tx,
    tenantId,
    succeeded
      .filter((p) => !done.has(p.orderId))
      .map((p) => ({ orderId: p.orderId, type: 'payment.captured_late', data: { paymentId: p.paymentId, amount: p.amount } })),
  );

  const rolledBack = await applyTransition(
    tx,
    tenantId,
    'payFail',
    failed.map((p) => ({
      orderId: p.orderId,
      reason: `payment declined (${p.declineCode}): ${DECLINE_MESSAGES[p.declineCode as keyof typeof DECLINE_MESSAGES] ?? 'the gateway refused the payment.'}`,
      data: { paymentId: p.paymentId, declineCode: p.declineCode },
    })),
  );
  await settleReservations(tx, { commit: completed.map((c) => c.orderId), release: rolledBack.map((c) => c.orderId) });
}
