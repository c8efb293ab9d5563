import type { Executor } from '../../platform/db/types.js';

export interface NewOrderEvent {
  orderId: string | null;
  type: string;
  from?: string | null;
  to?: string | null;
  data?: Record<string, unknown>;
}

let appended = 0;

/**
 * How many times this process has appended events: a version number for in-process caches of
 * what the events determine. Only meaningful where this process is the only writer (PGlite,
 * whose data directory one process holds); counted before commit, so a cache that reads the
 * version before its query can only be invalidated too often, never too rarely.
 */
export const eventsAppended = (): number => appended;

/** Appends audit-trail rows in one statement; always called inside the transaction that made the change. */
export async function appendEvents(tx: Executor, tenantId: string, events: readonly NewOrderEvent[]): Promise<void> {
  if (events.length === 0) return;
  appended++;
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
