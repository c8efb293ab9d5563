/*
 * The order life cycle as data. This table is the only place that says which status may follow
 * which; the service applies a named transition with a guarded UPDATE
 * (`SET status = $to WHERE id = $id AND status = ANY($from)`) so two racing writers cannot both
 * win, and the migration's CHECK constraint (see statusCheckSql) keeps the column inside this set.
 */

export const ORDER_STATUSES = [
  'pending',
  'reserved',
  'completed',
  'shipped',
  'delivered',
  'failed',
  'payment_failed',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** How much of a paid order has been given back; independent of `status`. */
export const REFUND_STATUSES = ['none', 'partial', 'full'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['reserved', 'failed', 'cancelled'], // stock reserved | cannot reserve | cancelled
  reserved: ['completed', 'payment_failed', 'cancelled'], // the last two must release the reservation
  completed: ['shipped', 'cancelled'], // cancelling a paid order means a full refund
  shipped: ['delivered'],
  delivered: [],
  failed: [],
  payment_failed: [],
  cancelled: [],
};

export const FINAL_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter(
  (status) => TRANSITIONS[status].length === 0,
);

export function isFinal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export const TRANSITION_NAMES = ['reserve', 'fail', 'complete', 'payFail', 'cancel', 'ship', 'deliver'] as const;
export type TransitionName = (typeof TRANSITION_NAMES)[number];

export interface NamedTransition {
  readonly from: readonly OrderStatus[];
  readonly to: OrderStatus;
  /** Past participle used in refusals: "it can be <verb> only while ...". */
  readonly verb: string;
}

// Every edge of TRANSITIONS belongs to exactly one name; order.state.test.ts checks both agree.
export const NAMED_TRANSITIONS: Readonly<Record<TransitionName, NamedTransition>> = {
  reserve: { from: ['pending'], to: 'reserved', verb: 'reserved' },
  fail: { from: ['pending'], to: 'failed', verb: 'marked failed' },
  complete: { from: ['reserved'], to: 'completed', verb: 'completed' },
  payFail: { from: ['reserved'], to: 'payment_failed', verb: 'marked payment_failed' },
  cancel: { from: ['pending', 'reserved', 'completed'], to: 'cancelled', verb: 'cancelled' },
  ship: { from: ['completed'], to: 'shipped', verb: 'shipped' },
  deliver: { from: ['shipped'], to: 'delivered', verb: 'delivered' },
};

export type TransitionCheck =
  | { ok: true; from: OrderStatus; to: OrderStatus }
  | { ok: false; reason: string; current: OrderStatus };

/**
 * Pure guard: load the order, then ask. A refusal is a value, not an exception, because a
 * late webhook or a double click hitting an order that already moved on is expected traffic.
 * `current === to` in a refusal means the transition already happened (a safe no-op for callers
 * that want idempotency).
 */
export function transitionGuard(order: { status: OrderStatus }, name: TransitionName): TransitionCheck {
  const transition = NAMED_TRANSITIONS[name];
  const current = order.status;
  if (transition.from.includes(current)) return { ok: true, from: current, to: transition.to };
  const reason =
    current === transition.to
      ? `order is already ${current}`
      : `order is ${current}; it can be ${transition.verb} only while ${listWords(transition.from)}`;
  return { ok: false, reason, current };
}

/** "a", "a or b", "a, b or c" */
function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** `CHECK (status IN ('pending', ...))` for the orders table; the migration test compares against it. */
export function statusCheckSql(column = 'status'): string {
  return checkIn(column, ORDER_STATUSES);
}

export function refundStatusCheckSql(column = 'refund_status'): string {
  return checkIn(column, REFUND_STATUSES);
}

function checkIn(column: string, values: readonly string[]): string {
  return `CHECK (${column} IN (${values.map((v) => `'${v}'`).join(', ')}))`;
}
