import type { Executor } from '../../platform/db/types.js';
import { COUNTERS, type Counters, type CustomerTotals, type Fact } from './kpi.js';

/*
 * The ledger: KPIs computed straight from committed order_events, set-based. It is the source of
 * truth (reads without Redis, `kpi rebuild`, `kpi verify`) and the projector's feed, and both go
 * through factsSql so they count the same events the same way.
 *
 * Which day: an order counts on the day its `order.completed` event was written, a refund on the
 * day its `refund.succeeded` event was written, a failure or cancellation on the day it happened;
 * days are calendar days in the tenant's time zone (tenants.time_zone).
 */

/** Must match the partial indexes of migrations/0003_analytics.sql word for word. */
const COUNTED = `('order.completed', 'order.failed', 'order.payment_failed', 'order.cancelled', 'refund.succeeded')`;

/**
 * The events the KPIs count, over order_events aliased e. A refund of money never booked as
 * revenue (captured after the order was cancelled) is not a refund of sales. Stable: an order
 * with a refund can no longer become completed. Every query that positions the projector uses
 * this same rule, or an event it never counts would look forever "not projected yet".
 */
const IS_COUNTED = `e.type IN ${COUNTED}
      AND (e.type <> 'refund.succeeded' OR EXISTS (
        SELECT 1 FROM order_events c WHERE c.order_id = e.order_id AND c.type = 'order.completed'))`;

/**
 * The tenant-local day an event of order_events e counts on, $2 being the tenant's zone: the
 * date its wall clock showed. The one definition of day membership, for Redis day keys (the
 * projector's feed) and for day-range reads alike.
 */
const LOCAL_DAY = `(e.created_at AT TIME ZONE $2)::date`;

/** A position in the (xid, id) order of order_events; "0:0" is before everything. */
export interface Position {
  xid: string;
  id: number;
}
export const START: Position = { xid: '0', id: 0 };
export const positionText = (p: Position) => `${p.xid}:${p.id}`;
export function parsePosition(text: string | null | undefined): Position {
  if (!text) return START;
  const [xid, id] = text.split(':');
  if (!xid || !/^\d+$/.test(xid) || !id || !/^\d+$/.test(id)) throw new Error(`bad analytics checkpoint "${text}"`);
  return { xid, id: Number(id) };
}

type Filter =
  | { kind: 'all' }
  /** Days `from`..`to` (tenant-local, both included). */
  | { kind: 'days'; from: string; to: string }
  /** Everything up to and including a position: what a checkpoint stands for. */
  | { kind: 'upTo'; at: Position }
  /** The projector's next chunk: after `after`, strictly below the safe horizon. */
  | { kind: 'feed'; after: Position; horizon: string; limit: number };

/** Counted events of one tenant as facts; $1 tenant, $2 time zone, then the filter's parameters. */
function factsSql(filter: Filter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v) + 2}`;
  let where = '';
  let tail = '';
  if (filter.kind === 'days') {
    // Membership is LOCAL_DAY alone, the rule the projector cuts Redis days with. The instant
    // bounds only let the (tenant_id, created_at) index apply, and are a day wider than the
    // range on each side: `D::timestamp AT TIME ZONE z` is not the day's first instant where
    // midnight happens twice (Atlantic/Azores, America/Havana set clocks back from 01:00 to
    // 00:00: it is the second midnight, an hour late), and no clock change repeats a whole day.
    const from = p(filter.from);
    const to = p(filter.to);
    where = `AND e.created_at >= (${from}::date::timestamp AT TIME ZONE $2) - interval '1 day'
             AND e.created_at < ((${to}::date + 1)::timestamp AT TIME ZONE $2) + interval '1 day'
             AND ${LOCAL_DAY} BETWEEN ${from}::date AND ${to}::date`;
  } else if (filter.kind === 'upTo') {
    where = `AND (e.xid, e.id) <= (${p(filter.at.xid)}::xid8, ${p(filter.at.id)}::bigint)`;
  } else if (filter.kind === 'feed') {
    // Below pg_snapshot_xmin every transaction has ended: no event can still appear behind us.
    where = `AND (e.xid, e.id) > (${p(filter.after.xid)}::xid8, ${p(filter.after.id)}::bigint) AND e.xid < ${p(filter.horizon)}::xid8`;
    tail = `ORDER BY e.xid, e.id LIMIT ${p(filter.limit)}`;
  }
  const sql = `
    SELECT e.xid::text AS xid, e.id,
      to_char(${LOCAL_DAY}, 'YYYY-MM-DD') AS day,
      CASE e.type WHEN 'order.completed' THEN 'completed' WHEN 'refund.succeeded' THEN 'refund'
                  WHEN 'order.cancelled' THEN 'cancelled' ELSE 'failed' END AS kind,
      CASE WHEN e.type = 'refund.succeeded' THEN coalesce(e.data->>'currency', o.currency) ELSE o.currency END AS currency,
      CASE e.type WHEN 'order.completed' THEN o.total
                  WHEN 'refund.succeeded' THEN coalesce((e.data->>'amount')::bigint, 0) ELSE 0 END AS amount,
      o.customer_id AS "customerId", e.order_id AS "orderId"
    FROM order_events e
    JOIN orders o ON o.tenant_id = e.tenant_id AND o.id = e.order_id
    WHERE e.tenant_id = $1 AND ${IS_COUNTED} ${where}
    ${tail}`;
  return { sql, params };
}

export async function readFacts(ex: Executor, tenantId: string, timeZone: string, after: Position, horizon: string, limit: number): Promise<Fact[]> {
  const { sql, params } = factsSql({ kind: 'feed', after, horizon, limit });
  return (await ex.query<Fact>(sql, [tenantId, timeZone, ...params], { prepareAs: 'analytics.feed' })).rows;
}

export interface DayCurrencyCounters {
  day: string;
  currency: string;
  counters: Counters;
}

/** Counters per day and currency, only for days and currencies with at least one fact. */
export async function ledgerCounters(
  ex: Executor,
  tenantId: string,
  timeZone: string,
  filter: { from: string; to: string } | { upTo: Position } | 'all',
): Promise<DayCurrencyCounters[]> {
  const facts: Filter = filter === 'all' ? { kind: 'all' } : 'upTo' in filter ? { kind: 'upTo', at: filter.upTo } : { kind: 'days', ...filter };
  const { sql, params } = factsSql(facts);
  const { rows } = await ex.query<Record<string, unknown> & { day: string; currency: string }>(
    `WITH f AS (${sql})
     SELECT day, currency,
       coalesce(sum(amount) FILTER (WHERE kind = 'completed'), 0)::bigint AS gross_revenue,
       count(*) FILTER (WHERE kind = 'completed')::int AS orders_completed,
       count(*) FILTER (WHERE kind = 'refund')::int AS refunds_count,
       coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0)::bigint AS refunds_amount,
       count(*) FILTER (WHERE kind = 'failed')::int AS orders_failed,
       count(*) FILTER (WHERE kind = 'cancelled')::int AS orders_cancelled
     FROM f GROUP BY day, currency ORDER BY day, currency`,
    [tenantId, timeZone, ...params],
    // Each KPI read without Redis runs this: planning it took 0.7 ms, running it (a day) 0.01 ms.
    { prepareAs: `analytics.counters.${facts.kind}` },
  );
  return rows.map((r) => ({
    day: r.day,
    currency: r.currency,
    counters: Object.fromEntries(COUNTERS.map((c) => [c, Number(r[c])])) as Counters,
  }));
}

export interface CustomerLedger extends CustomerTotals {
  currency: string;
  customerId: string;
}

/** Net spend and completed orders of every customer with a completion or refund, per currency. */
export async function ledgerCustomers(ex: Executor, tenantId: string, timeZone: string, upTo?: Position): Promise<CustomerLedger[]> {
  const { sql, params } = factsSql(upTo ? { kind: 'upTo', at: upTo } : { kind: 'all' });
  const { rows } = await ex.query<CustomerLedger>(
    `WITH f AS (${sql})
     SELECT currency, "customerId",
       sum(CASE kind WHEN 'completed' THEN amount ELSE -amount END)::bigint AS "netSpend",
       count(*) FILTER (WHERE kind = 'completed')::int AS orders
     FROM f WHERE kind IN ('completed', 'refund') GROUP BY currency, "customerId"`,
    [tenantId, timeZone, ...params],
  );
  return rows;
}

export interface LeaderboardRow extends CustomerLedger {
  rank: number;
  name: string;
  email: string;
}

/**
 * Top customers per currency by net spend. Ties break on customer id descending, the order a
 * Redis sorted set gives (ZREVRANGE), so both backends answer the same list.
 */
export async function ledgerLeaderboard(ex: Executor, tenantId: string, timeZone: string, limit: number, currency?: string): Promise<LeaderboardRow[]> {
  const { sql, params } = factsSql({ kind: 'all' });
  const n = params.length + 3;
  const { rows } = await ex.query<LeaderboardRow>(
    `WITH f AS (${sql}), totals AS (
       SELECT currency, "customerId",
         sum(CASE kind WHEN 'completed' THEN amount ELSE -amount END)::bigint AS "netSpend",
         count(*) FILTER (WHERE kind = 'completed')::int AS orders
       FROM f WHERE kind IN ('completed', 'refund') AND ($${n + 1}::text IS NULL OR currency = $${n + 1})
       GROUP BY currency, "customerId"
     ), ranked AS (
       SELECT *, row_number() OVER (PARTITION BY currency ORDER BY "netSpend" DESC, "customerId" DESC)::int AS rank FROM totals
     )
     SELECT r.currency, r."customerId", r."netSpend", r.orders, r.rank, c.name, c.email
     FROM ranked r JOIN customers c ON c.tenant_id = $1 AND c.id = r."customerId"
     WHERE r.rank <= $${n} ORDER BY r.currency, r.rank`,
    [tenantId, timeZone, ...params, limit, currency ?? null],
  );
  return rows;
}

/*
 * The ledger against the rows it counts. Both sides are written in one transaction by every
 * change (status + order.* event, refund row + refund.succeeded), so in one statement's snapshot
 * they agree exactly; a counted event written twice (a duplicate webhook applied twice), lost or
 * with a wrong amount shows up here, even without Redis, where the ledger is what reads answer.
 *
 * "Sold" is the rows' own record of a completion: completed, shipped or delivered, or cancelled
 * after completion, which kept its committed stock (cancelling releases only active reservations;
 * money captured after a cancellation never committed any).
 */
function perOrderSql(): string {
  const { sql } = factsSql({ kind: 'all' });
  // One UNION ALL stream grouped by order, not joins: right after a bulk import the planner's
  // statistics still say "a few rows", and a nested-loop join over 25,000 orders took a minute.
  return `
    WITH f AS (${sql}),
    x AS (
      SELECT "orderId" AS order_id, NULL::text AS order_code, NULL::text AS currency, false AS sold,
        (kind = 'completed')::int AS l_orders_completed,
        CASE WHEN kind = 'completed' THEN amount ELSE 0 END AS l_gross_revenue,
        (kind = 'refund')::int AS l_refunds_count,
        CASE WHEN kind = 'refund' THEN amount ELSE 0 END AS l_refunds_amount,
        (kind = 'failed')::int AS l_orders_failed,
        (kind = 'cancelled')::int AS l_orders_cancelled,
        0::bigint AS total, 0 AS refunds, 0::bigint AS refunded, 0 AS failed, 0 AS cancelled
      FROM f
      UNION ALL
      SELECT o.id, o.order_code, o.currency::text,
        o.status IN ('completed', 'shipped', 'delivered') OR (o.status = 'cancelled' AND EXISTS (
          SELECT 1 FROM stock_reservations sr WHERE sr.order_id = o.id AND sr.status = 'committed')),
        0, 0, 0, 0, 0, 0,
        o.total, 0, 0, (o.status IN ('failed', 'payment_failed'))::int, (o.status = 'cancelled')::int
      FROM orders o WHERE o.tenant_id = $1
      UNION ALL
      SELECT r.order_id, NULL, NULL, false, 0, 0, 0, 0, 0, 0, 0, 1, r.amount, 0, 0
      FROM refunds r WHERE r.tenant_id = $1 AND r.status = 'succeeded'
    ),
    o AS (
      SELECT max(order_code) AS order_code, max(currency) AS currency, bool_or(sold) AS sold,
        sum(refunds)::int AS refunds, sum(total)::bigint AS total, sum(refunded)::bigint AS refunded,
        ${COUNTERS.map((c) => `sum(l_${c})::bigint AS "l_${c}"`).join(', ')},
        sum(failed)::bigint AS "r_orders_failed", sum(cancelled)::bigint AS "r_orders_cancelled"
      FROM x GROUP BY order_id
    ),
    per_order AS (
      SELECT *, sold::int::bigint AS "r_orders_completed",
        CASE WHEN sold THEN total ELSE 0 END AS "r_gross_revenue",
        CASE WHEN sold THEN refunds ELSE 0 END::bigint AS "r_refunds_count",
        CASE WHEN sold THEN refunded ELSE 0 END AS "r_refunds_amount"
      FROM o
    ),
    checked AS (
      SELECT *, (${COUNTERS.map((c) => `"l_${c}" <> "r_${c}"`).join(' OR ')}) AS mismatch FROM per_order
    )`;
}

export interface LedgerRowsFigures {
  ledger: Counters;
  rows: Counters;
}

export interface LedgerAgainstRows {
  orders: number;
  refunds: number;
  /** Per currency, every counter summed over all days, from the ledger and from the rows. */
  totals: (LedgerRowsFigures & { currency: string })[];
  /** Orders whose counted events disagree with their rows: how many, and the first `limit`. */
  mismatched: number;
  sample: (LedgerRowsFigures & { orderCode: string; currency: string })[];
}

const figuresOf = (r: Record<string, unknown>): LedgerRowsFigures => ({
  ledger: Object.fromEntries(COUNTERS.map((c) => [c, Number(r[`l_${c}`])])) as Counters,
  rows: Object.fromEntries(COUNTERS.map((c) => [c, Number(r[`r_${c}`])])) as Counters,
});

/** Compares every counted event of the tenant with the order and refund rows; read-only. */
export async function ledgerAgainstRows(ex: Executor, tenantId: string, timeZone: string, limit: number): Promise<LedgerAgainstRows> {
  const cte = perOrderSql();
  const sums = COUNTERS.map((c) => `sum("l_${c}")::bigint AS "l_${c}", sum("r_${c}")::bigint AS "r_${c}"`).join(', ');
  const [totals, sample] = await Promise.all([
    ex.query<Record<string, unknown> & { currency: string; orders: number; refunds: number; mismatched: number }>(
      `${cte} SELECT currency, count(*)::int AS orders, sum(refunds)::int AS refunds,
         count(*) FILTER (WHERE mismatch)::int AS mismatched, ${sums}
       FROM checked GROUP BY currency ORDER BY currency`,
      [tenantId, timeZone],
    ),
    ex.query<Record<string, unknown> & { orderCode: string; currency: string }>(
      `${cte} SELECT order_code AS "orderCode", currency, ${COUNTERS.map((c) => `"l_${c}", "r_${c}"`).join(', ')}
       FROM checked WHERE mismatch ORDER BY order_code LIMIT $3`,
      [tenantId, timeZone, limit],
    ),
  ]);
  return {
    orders: totals.rows.reduce((n, r) => n + r.orders, 0),
    refunds: totals.rows.reduce((n, r) => n + r.refunds, 0),
    totals: totals.rows.map((r) => ({ currency: r.currency, ...figuresOf(r) })),
    mismatched: totals.rows.reduce((n, r) => n + r.mismatched, 0),
    sample: sample.rows.map((r) => ({ orderCode: r.orderCode, currency: r.currency, ...figuresOf(r) })),
  };
}

/** Counted events of the tenant after a position: what the projector has not applied yet. */
export async function countedAfter(ex: Executor, tenantId: string, after: Position): Promise<number> {
  const { rows } = await ex.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM order_events e
     WHERE e.tenant_id = $1 AND ${IS_COUNTED} AND (e.xid, e.id) > ($2::xid8, $3::bigint)`,
    [tenantId, after.xid, after.id],
  );
  return rows[0]!.n;
}

/**
 * Whether a counted event committed before `olderThanSeconds` ago lies past this checkpoint: the
 * live projection is behind by at least that much (its projector stopped, or a transaction left
 * open anywhere on the cluster holds the horizon back). Walks the feed index from the checkpoint.
 */
export async function projectionBehind(ex: Executor, tenantId: string, after: Position, olderThanSeconds: number): Promise<boolean> {
  const { rows } = await ex.query<{ behind: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM order_events e
       WHERE e.tenant_id = $1 AND ${IS_COUNTED} AND (e.xid, e.id) > ($2::xid8, $3::bigint)
         AND e.created_at < now() - make_interval(secs => $4)) AS behind`,
    [tenantId, after.xid, after.id, olderThanSeconds],
  );
  return rows[0]!.behind;
}

/** The last counted event of a tenant below the horizon, or START when there is none. */
export async function lastPositionBelow(ex: Executor, tenantId: string, horizon: string): Promise<Position> {
  const { rows } = await ex.query<Position>(
    `SELECT e.xid::text AS xid, e.id FROM order_events e
     WHERE e.tenant_id = $1 AND ${IS_COUNTED} AND e.xid < $2::xid8
     ORDER BY e.xid DESC, e.id DESC LIMIT 1`,
    [tenantId, horizon],
  );
  return rows[0] ?? START;
}

/** Of these tenants, those with counted events after their checkpoint and below the horizon. */
export async function tenantsBehind(ex: Executor, checkpoints: ReadonlyMap<string, Position>, horizon: string): Promise<string[]> {
  if (checkpoints.size === 0) return [];
  const ids = [...checkpoints.keys()];
  const { rows } = await ex.query<{ id: string }>(
    `SELECT c.id FROM unnest($1::uuid[], $2::xid8[], $3::bigint[]) AS c(id, xid, pos)
     WHERE EXISTS (SELECT 1 FROM order_events e
                   WHERE e.tenant_id = c.id AND ${IS_COUNTED}
                     AND (e.xid, e.id) > (c.xid, c.pos) AND e.xid < $4::xid8)`,
    [ids, ids.map((id) => checkpoints.get(id)!.xid), ids.map((id) => checkpoints.get(id)!.id), horizon],
  );
  return rows.map((r) => r.id);
}

export interface TenantZone {
  id: string;
  slug: string;
  timeZone: string;
}

export async function listTenantZones(ex: Executor): Promise<TenantZone[]> {
  return (await ex.query<TenantZone>(`SELECT id, slug, time_zone AS "timeZone" FROM tenants ORDER BY id`)).rows;
}

export async function tenantZone(ex: Executor, tenantId: string): Promise<TenantZone | undefined> {
  const { rows } = await ex.query<TenantZone>(`SELECT id, slug, time_zone AS "timeZone" FROM tenants WHERE id = $1`, [tenantId], {
    prepareAs: 'analytics.tenant',
  });
  return rows[0];
}

/**
 * Currencies the tenant sells in, so a day without sales still answers zeros in each. A skip scan
 * of products_tenant_currency (0013): one index probe per currency, not a pass over the catalog.
 */
export async function catalogCurrencies(ex: Executor, tenantId: string): Promise<string[]> {
  const { rows } = await ex.query<{ currency: string }>(
    `WITH RECURSIVE c AS (
       (SELECT currency FROM products WHERE tenant_id = $1 ORDER BY currency LIMIT 1)
       UNION ALL
       SELECT (SELECT p.currency FROM products p WHERE p.tenant_id = $1 AND p.currency > c.currency ORDER BY p.currency LIMIT 1)
       FROM c WHERE c.currency IS NOT NULL
     )
     SELECT currency FROM c WHERE currency IS NOT NULL`,
    [tenantId],
    { prepareAs: 'analytics.currencies' },
  );
  return rows.map((r) => r.currency);
}

export async function customersByIds(ex: Executor, tenantId: string, ids: readonly string[]): Promise<Map<string, { name: string; email: string }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await ex.query<{ id: string; name: string; email: string }>(
    `SELECT id, name, email FROM customers WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
    [tenantId, ids],
  );
  return new Map(rows.map((r) => [r.id, { name: r.name, email: r.email }]));
}
