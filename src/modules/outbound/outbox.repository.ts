import type { Executor } from '../../platform/db/types.js';
import { safeHorizon } from '../../platform/db/horizon.js';
import type { EventRow } from './envelope.js';

/**
 * A position in the (xid, id) order of order_events; { xid: '0', id: 0 } is before everything.
 * Queries select `e.xid::text AS xid` and must ORDER BY the qualified `e.xid`: an unqualified
 * `xid` names the text output column, and text order puts xid 10000000 before 9999999.
 */
export interface Position {
  xid: string;
  id: number;
}

export interface Checkpoint extends Position {
  published: number;
}

/**
 * Locks the sink's checkpoint row for the caller's transaction, or returns undefined when another
 * relay holds it (SKIP LOCKED: that relay is publishing this very batch; ours would duplicate it).
 * In READ COMMITTED a row just released comes back in its newly committed version.
 */
export async function lockCheckpoint(tx: Executor, sink: string): Promise<Checkpoint | undefined> {
  const { rows } = await tx.query<Checkpoint>(
    `SELECT xid::text AS xid, id, published FROM outbound_checkpoints WHERE name = $1 FOR UPDATE SKIP LOCKED`,
    [sink],
  );
  return rows[0];
}

export async function readCheckpoint(ex: Executor, sink: string): Promise<Checkpoint | undefined> {
  const { rows } = await ex.query<Checkpoint>(`SELECT xid::text AS xid, id, published FROM outbound_checkpoints WHERE name = $1`, [sink]);
  return rows[0];
}

export async function advanceCheckpoint(tx: Executor, sink: string, to: Position, published: number): Promise<void> {
  await tx.query(
    `UPDATE outbound_checkpoints SET xid = $2::xid8, id = $3, published = published + $4, updated_at = now() WHERE name = $1`,
    [sink, to.xid, to.id, published],
  );
}

/** Positions after `after`, strictly below the horizon, in (xid, id) order. */
export async function positionsAfter(ex: Executor, after: Position, horizon: string, limit: number): Promise<Position[]> {
  const { rows } = await ex.query<Position>(
    `SELECT e.xid::text AS xid, e.id FROM order_events e
     WHERE (e.xid, e.id) > ($1::xid8, $2::bigint) AND e.xid < $3::xid8
     ORDER BY e.xid, e.id LIMIT $4`,
    [after.xid, after.id, horizon, limit],
  );
  return rows;
}

/** Positions in (after, upTo], in (xid, id) order. */
export async function positionsBetween(ex: Executor, after: Position, upTo: Position): Promise<Position[]> {
  const { rows } = await ex.query<Position>(
    `SELECT e.xid::text AS xid, e.id FROM order_events e
     WHERE (e.xid, e.id) > ($1::xid8, $2::bigint) AND (e.xid, e.id) <= ($3::xid8, $4::bigint)
     ORDER BY e.xid, e.id`,
    [after.xid, after.id, upTo.xid, upTo.id],
  );
  return rows;
}

export interface Blocker {
  /** The event in the batch that must wait. */
  blockedId: number;
  /** An earlier event (smaller id) of the same order, beyond the batch. */
  xid: string;
  id: number;
  belowHorizon: boolean;
}

/*
 * Events of one order are written under that order's row lock, so a smaller id always committed
 * first; but xids are taken when a transaction first writes, so a later event can sort before an
 * earlier one in (xid, id) order. A blocker is such an earlier event of the same order that a
 * batch ending at `upTo` would leave behind: publishing the batch as it is would reorder them.
 */
export async function findBlockers(ex: Executor, after: Position, upTo: Position, horizon: string): Promise<Blocker[]> {
  const { rows } = await ex.query<Blocker>(
    `SELECT b.id AS "blockedId", p.xid::text AS xid, p.id, p.xid < $5::xid8 AS "belowHorizon"
     FROM order_events b
     JOIN order_events p ON p.order_id = b.order_id AND p.id < b.id
     WHERE b.order_id IS NOT NULL
       AND (b.xid, b.id) > ($1::xid8, $2::bigint) AND (b.xid, b.id) <= ($3::xid8, $4::bigint)
       AND (p.xid, p.id) > ($3::xid8, $4::bigint)`,
    [after.xid, after.id, upTo.xid, upTo.id, horizon],
  );
  return rows;
}

/** Events with what their envelopes need (tenant slug, order code and currency); callers add WHERE and ORDER BY. */
const EVENT_ROWS = `SELECT e.id, e.xid::text AS xid, e.tenant_id AS "tenantId", t.slug AS "tenantSlug", e.order_id AS "orderId",
       o.order_code AS "orderCode", o.currency::text AS currency, e.type, e.from_status AS "fromStatus",
       e.to_status AS "toStatus", e.data, e.created_at AS "createdAt"
     FROM order_events e
     JOIN tenants t ON t.id = e.tenant_id
     LEFT JOIN orders o ON o.tenant_id = e.tenant_id AND o.id = e.order_id`;

/** The events in (after, upTo] with what their envelopes need, in id order (publication order). */
export async function loadEvents(ex: Executor, after: Position, upTo: Position): Promise<EventRow[]> {
  const { rows } = await ex.query<EventRow>(
    `${EVENT_ROWS}
     WHERE (e.xid, e.id) > ($1::xid8, $2::bigint) AND (e.xid, e.id) <= ($3::xid8, $4::bigint)
     ORDER BY e.id`,
    [after.xid, after.id, upTo.xid, upTo.id],
  );
  return rows;
}

/** Events by id (redelivery, tail), same shape as loadEvents. */
export async function loadEventsById(ex: Executor, ids: readonly number[]): Promise<EventRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await ex.query<EventRow>(
    `${EVENT_ROWS}
     WHERE e.id = ANY($1::bigint[])
     ORDER BY e.id`,
    [ids],
  );
  return rows;
}

/** The last position strictly below the horizon, if any. */
export async function latestPositionBelow(ex: Executor, horizon: string): Promise<Position | undefined> {
  const { rows } = await ex.query<Position>(
    `SELECT e.xid::text AS xid, e.id FROM order_events e WHERE e.xid < $1::xid8 ORDER BY e.xid DESC, e.id DESC LIMIT 1`,
    [horizon],
  );
  return rows[0];
}

/** The latest position below the horizon: where a tail that starts "now" begins. */
export async function latestPosition(ex: Executor): Promise<Position> {
  return (await latestPositionBelow(ex, await safeHorizon(ex))) ?? { xid: '0', id: 0 };
}
