import type { OrderStatus } from '../orders/order.state.js';

/*
 * Pure refund guards: load the order, its captured payment and its refunds under the order lock,
 * then ask. A refusal is a value carrying the HTTP-facing code and one sentence naming the field.
 */

export interface RefundMoney {
  /** Amount of the order's succeeded payment; null when nothing was ever captured. */
  captured: number | null;
  refunded: number;
  pending: number;
}

export interface RestockLine {
  sku: string;
  quantity: number;
}

export type RefundRefusal = { ok: false; code: 'INVALID_DATA' | 'CONFLICT'; field: string; message: string; details?: Record<string, unknown> };
export type RefundCheck<T> = { ok: true; value: T } | RefundRefusal;

/** Statuses an order can hold once its payment was captured; `cancelled` only if money was taken. */
const PAID: readonly OrderStatus[] = ['completed', 'shipped', 'delivered', 'cancelled'];

export function leftToRefund(money: RefundMoney): number {
  return Math.max(0, (money.captured ?? 0) - money.refunded - money.pending);
}

/**
 * Decides the amount of a new refund. No amount asked means everything still refundable; what is
 * pending counts as spent, so two bookings can never promise the same money twice.
 */
export function checkRefundAmount(
  order: { orderCode: string; status: OrderStatus; currency: string },
  money: RefundMoney,
  asked: number | undefined,
): RefundCheck<number> {
  if (asked !== undefined && (!Number.isSafeInteger(asked) || asked <= 0)) {
    return refuse('INVALID_DATA', 'amount', `amount: must be a positive whole number of minor units (got ${asked}).`);
  }
  const details = { status: order.status, captured: money.captured ?? 0, refunded: money.refunded, pending: money.pending };
  if (!PAID.includes(order.status) || money.captured === null) {
    const message =
      order.status === 'cancelled'
        ? `Order ${order.orderCode} was cancelled before payment; there is nothing to refund.`
        : `Order ${order.orderCode} is ${order.status}; only paid orders (completed, shipped, delivered, or cancelled after payment) can be refunded.`;
    return refuse('CONFLICT', 'status', message, details);
  }
  const left = leftToRefund(money);
  const breakdown = `${money.captured} captured, ${money.refunded} refunded, ${money.pending} pending, ${order.currency} minor units`;
  if (left === 0) return refuse('CONFLICT', 'amount', `Order ${order.orderCode} has nothing left to refund: 0 left (${breakdown}).`, { ...details, left });
  const amount = asked ?? left;
  if (amount > left) {
    return refuse('CONFLICT', 'amount', `amount: ${amount} is more than order ${order.orderCode} has left to refund: ${left} left (${breakdown}).`, {
      ...details,
      left,
    });
  }
  return { ok: true, value: amount };
}

/** Per SKU of an order: units bought, and units that left the shelf (its reservation committed). */
export interface ItemStock {
  bought: number;
  /**
   * 0 when the reservation was released (cancelled or declined before payment, money captured
   * late) or never made: those units never left the shelf, so no refund may put them back.
   */
  taken: number;
}

/**
 * Merges restock lines by SKU and checks each against what left the shelf for the order (its
 * committed reservation) minus what earlier refunds (succeeded or pending) already put back.
 */
export function checkRestock(
  asked: readonly RestockLine[],
  items: ReadonlyMap<string, ItemStock>,
  alreadyRestocked: ReadonlyMap<string, number>,
): RefundCheck<RestockLine[]> {
  const merged = new Map<string, number>();
  for (const line of asked) merged.set(line.sku, (merged.get(line.sku) ?? 0) + line.quantity);
  for (const [sku, quantity] of merged) {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) {
      return refuse('INVALID_DATA', 'restock', `restock: quantity of ${sku} must be a positive whole number (got ${quantity}).`);
    }
    const item = items.get(sku);
    if (item === undefined) return refuse('INVALID_DATA', 'restock', `restock: SKU ${sku} is not in this order.`, { sku });
    if (item.taken === 0) {
      return refuse(
        'INVALID_DATA',
        'restock',
        `restock: ${sku} never left the shelf for this order (its stock reservation was released, not committed), so there is nothing to put back; refund without restock.`,
        { sku, bought: item.bought, taken: 0 },
      );
    }
    const left = item.taken - (alreadyRestocked.get(sku) ?? 0);
    if (quantity > left) {
      const of = item.taken === item.bought ? `the ${item.bought} bought` : `the ${item.taken} taken from the shelf (${item.bought} bought)`;
      return refuse('INVALID_DATA', 'restock', `restock: ${quantity} of ${sku} asked, but only ${left} of ${of} are left to restock.`, {
        sku,
        left,
      });
    }
  }
  return { ok: true, value: [...merged].map(([sku, quantity]) => ({ sku, quantity })) };
}

/**
 * Restock lines that would push a product's stock_on_hand past the int4 column (STOCK_MAX):
 * refused at booking, so the gateway's success can never fail on them. `onHand`: SKU -> units now.
 */
export function checkRestockRoom(lines: readonly RestockLine[], onHand: ReadonlyMap<string, number>, max: number): RefundCheck<RestockLine[]> {
  for (const { sku, quantity } of lines) {
    const now = onHand.get(sku) ?? 0;
    if (now + quantity > max) {
      return refuse(
        'CONFLICT',
        'restock',
        `restock: ${sku} has ${now} on hand and stock can hold at most ${max} units, so this refund can put back at most ${Math.max(0, max - now)} of the ${quantity} asked.`,
        { sku, onHand: now, max },
      );
    }
  }
  return { ok: true, value: [...lines] };
}

/**
 * Everything taken from the shelf and not yet restocked: what a cancelled paid order puts back.
 * Units whose reservation was released (money captured late) never left, so they owe nothing.
 */
export function remainingRestock(items: ReadonlyMap<string, ItemStock>, alreadyRestocked: ReadonlyMap<string, number>): RestockLine[] {
  return [...items]
    .map(([sku, item]) => ({ sku, quantity: item.taken - (alreadyRestocked.get(sku) ?? 0) }))
    .filter((l) => l.quantity > 0);
}

/**
 * How many declined refunds of one cancelled order the sweep books again before it gives up and
 * leaves the order to an operator (a `refund.abandoned` event, a warning, `ordersys verify`).
 */
export const MAX_FAILED_REFUNDS = 5;

/** What refunded_total implies for refund_status. */
export function refundStatusFor(refundedTotal: number, total: number): 'none' | 'partial' | 'full' {
  if (refundedTotal <= 0) return 'none';
  return refundedTotal >= total ? 'full' : 'partial';
}

function refuse(code: RefundRefusal['code'], field: string, message: string, details?: Record<string, unknown>): RefundRefusal {
  return { ok: false, code, field, message, details: { field, ...details } };
}
