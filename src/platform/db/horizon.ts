import type { Executor } from './types.js';

/**
 * The oldest transaction still running (pg_snapshot_xmin): every row written with a smaller xid
 * is committed or gone for good, so a reader that pages through order_events in (xid, id) order
 * below it can never pass over an event that commits later. Used by the outbox relays and the
 * KPI projector.
 */
export async function safeHorizon(ex: Executor): Promise<string> {
  const { rows } = await ex.query<{ horizon: string }>(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`);
  return rows[0]!.horizon;
}
