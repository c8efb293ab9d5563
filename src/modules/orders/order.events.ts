import type { Executor } from '../../platform/db/types.js';

export interface NewOrderEvent {
  orderId: string | null;
  type: string;
  from?: string | null;
  to?: string | null;
  data?: Record<string, unknown>;
}

/** Appends audit-trail rows in one statement; always called inside the transaction that made the change. */
export async function appendEvents(tx: Executor, tenantId: string, events: readonly NewOrderEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `INSERT INTO order_events (tenant_id, order_id, type, from_status, to_status, data)
     SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[])`,
    [
      tenantId,
      events.map((e) => e.orderId),
      events.map((e) => e.type),
      events.map((e) => e.from ?? null),
      events.map((e) => e.to ?? null),
      events.map((e) => JSON.stringify(e.data ?? {})),
    ],
  );
}
