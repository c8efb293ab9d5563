/*
 * The published form of an order_events row: what webhook subscribers receive and what goes on
 * the NATS stream. Pure code; docs/events.schema.json describes the same shape.
 */

export const ENVELOPE_VERSION = 1;

/** Internal audit-trail types and the public names they are published under. */
const PUBLIC_TYPES: Readonly<Record<string, string>> = {
  'order.created': 'order.created',
  'order.reserved': 'order.reserved',
  'order.completed': 'order.completed',
  'order.failed': 'order.failed',
  'order.payment_failed': 'order.payment_failed',
  'order.cancelled': 'order.cancelled',
  'order.shipped': 'order.shipped',
  'order.delivered': 'order.delivered',
  'payment.captured_late': 'payment.captured_late',
  'refund.succeeded': 'refund.succeeded',
  'refund.failed': 'refund.failed',
  'refund.abandoned': 'refund.abandoned',
  'import.finished': 'import.finished',
};

/** The types documented in docs/events.schema.json: what a webhook subscription may name (or `*`). */
export const KNOWN_EVENT_TYPES: readonly string[] = [...new Set(Object.values(PUBLIC_TYPES))];

/** Types written later (a new module) go out under their own name rather than being dropped. */
export function publicType(internal: string): string {
  return PUBLIC_TYPES[internal] ?? internal;
}

export const EVENT_TYPE_PATTERN = /^[a-z_]+\.[a-z_]+$/;

export interface EventRow {
  id: number;
  xid: string;
  tenantId: string;
  tenantSlug: string;
  orderId: string | null;
  orderCode: string | null;
  currency: string | null;
  type: string;
  fromStatus: string | null;
  toStatus: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface Envelope {
  /** Stable across redeliveries and republishing: consumers dedupe on it. */
  id: string;
  type: string;
  /** The tenant's slug (also the second token of the NATS subject). */
  tenant: string;
  occurred_at: string;
  order_id: string | null;
  version: typeof ENVELOPE_VERSION;
  data: Record<string, unknown>;
}

export const eventIdOf = (rowId: number) => `evt_${rowId}`;

export function parseEventId(id: string): number | undefined {
  const m = /^evt_(\d{1,18})$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/**
 * The stored facts, plus the order's code and currency (both immutable, so the envelope of an
 * event is the same whenever it is built) and the status change when there was one.
 */
export function toEnvelope(row: EventRow): Envelope {
  const data: Record<string, unknown> = { ...row.data };
  if (row.orderCode !== null) data.orderCode = row.orderCode;
  if (row.currency !== null && data.currency === undefined) data.currency = row.currency;
  if (row.fromStatus !== null) data.fromStatus = row.fromStatus;
  if (row.toStatus !== null) data.toStatus = row.toStatus;
  return {
    id: eventIdOf(row.id),
    type: publicType(row.type),
    tenant: row.tenantSlug,
    occurred_at: row.createdAt.toISOString(),
    order_id: row.orderId,
    version: ENVELOPE_VERSION,
    data,
  };
}

/** `<prefix>.<tenant>.<type>`: the type's dot makes it two tokens, so `ordersys.*.order.*` works. */
export function subjectOf(prefix: string, envelope: Pick<Envelope, 'tenant' | 'type'>): string {
  return `${prefix}.${envelope.tenant}.${envelope.type}`;
}

/** Does a subscription's list of types take this event? `*` takes everything. */
export function subscribedTo(events: readonly string[], type: string): boolean {
  return events.includes('*') || events.includes(type);
}
