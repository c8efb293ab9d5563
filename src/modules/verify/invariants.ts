import { MAX_FAILED_REFUNDS } from '../refunds/refund.rules.js';

/** How long a cancelled order may owe money before verify names it: the sweep runs every minute. */
export const REFUND_OWED_GRACE_MINUTES = 5;

/**
 * What must hold on a live database, whatever crashed, retried or raced. Each invariant is one
 * query returning the rows that break it (at most a sample), so the report can name them.
 */
export interface Invariant {
  name: string;
  /** One sentence: what holds when there is no breach. */
  rule: string;
  /** $1 = tenant id or NULL for every tenant. Returns breach rows (LIMIT applied by the runner). */
  sql: string;
}

export const INVARIANTS: readonly Invariant[] = [
  {
    name: 'import-lines-accounted',
    rule: 'every line of a finished import is accepted or rejected, and each rejected line is in its error report (until retention deletes the report)',
    sql: `SELECT i.id AS import_id, i.lines_read, i.lines_accepted, i.lines_rejected,
            (SELECT count(DISTINCT e.line_no) FROM import_errors e WHERE e.import_id = i.id) AS lines_in_report
          FROM imports i
          WHERE ($1::uuid IS NULL OR i.tenant_id = $1) AND i.status = 'completed'
            AND (i.lines_accepted + i.lines_rejected <> i.lines_read
              OR (i.errors_pruned_at IS NULL
                AND i.lines_rejected <> (SELECT count(DISTINCT e.line_no) FROM import_errors e WHERE e.import_id = i.id)))`,
  },
  {
    name: 'order-total',
    rule: "an order's total and item count equal the sum of its items",
    sql: `SELECT o.id AS order_id, o.order_code, o.total, o.items_count, s.sum_total, s.n
          FROM orders o LEFT JOIN LATERAL (
            SELECT COALESCE(sum(line_total), 0) AS sum_total, count(*) AS n FROM order_items WHERE order_id = o.id
          ) s ON true
          WHERE ($1::uuid IS NULL OR o.tenant_id = $1) AND (o.total <> s.sum_total OR o.items_count <> s.n)`,
  },
  {
    name: 'stock-ledger',
    rule: 'for each product, initial stock plus adjustments equals on hand plus units sold',
    sql: `SELECT p.sku, p.stock_on_hand, a.adjusted, c.sold
          FROM products p
          LEFT JOIN LATERAL (SELECT COALESCE(sum(delta), 0) AS adjusted FROM inventory_adjustments WHERE product_id = p.id) a ON true
          LEFT JOIN LATERAL (SELECT COALESCE(sum(quantity), 0) AS sold FROM stock_reservations WHERE product_id = p.id AND status = 'committed') c ON true
          WHERE ($1::uuid IS NULL OR p.tenant_id = $1) AND a.adjusted <> p.stock_on_hand + c.sold`,
  },
  {
    name: 'stock-reserved',
    rule: "each product's reserved stock equals the sum of its active reservations",
    sql: `SELECT p.sku, p.stock_reserved, r.active
          FROM products p
          LEFT JOIN LATERAL (SELECT COALESCE(sum(quantity), 0) AS active FROM stock_reservations WHERE product_id = p.id AND status = 'active') r ON true
          WHERE ($1::uuid IS NULL OR p.tenant_id = $1) AND p.stock_reserved <> r.active`,
  },
  {
    name: 'reservations-match-status',
    rule: 'active reservations belong to reserved orders; completed orders have committed every item',
    sql: `SELECT o.id AS order_id, o.order_code, o.status, r.status AS reservation_status, r.quantity
          FROM stock_reservations r JOIN orders o ON o.id = r.order_id
          WHERE ($1::uuid IS NULL OR o.tenant_id = $1)
            AND ((r.status = 'active') <> (o.status = 'reserved')
              OR (o.status IN ('completed', 'shipped', 'delivered') AND r.status <> 'committed' AND o.refund_status = 'none'))`,
  },
  {
    name: 'paid-orders-captured',
    rule: 'completed, shipped and delivered orders have exactly one captured payment of their total',
    sql: `SELECT o.id AS order_id, o.order_code, o.status, o.total, p.captured, p.n
          FROM orders o LEFT JOIN LATERAL (
            SELECT COALESCE(sum(amount), 0) AS captured, count(*) AS n FROM payments WHERE order_id = o.id AND status = 'succeeded'
          ) p ON true
          WHERE ($1::uuid IS NULL OR o.tenant_id = $1) AND o.status IN ('completed', 'shipped', 'delivered')
            AND (p.n <> 1 OR p.captured <> o.total)`,
  },
  {
    name: 'refunds-within-capture',
    rule: 'refunded never exceeds captured, refunded_total is the sum of succeeded refunds, refund_status agrees',
    sql: `SELECT o.id AS order_id, o.order_code, o.refunded_total, o.refund_status, r.succeeded, p.captured
          FROM orders o
          LEFT JOIN LATERAL (SELECT COALESCE(sum(amount), 0) AS succeeded FROM refunds WHERE order_id = o.id AND status = 'succeeded') r ON true
          LEFT JOIN LATERAL (SELECT COALESCE(sum(amount), 0) AS captured FROM payments WHERE order_id = o.id AND status = 'succeeded') p ON true
          WHERE ($1::uuid IS NULL OR o.tenant_id = $1)
            AND (o.refunded_total <> r.succeeded OR r.succeeded > p.captured
              OR o.refund_status <> CASE WHEN o.refunded_total = 0 THEN 'none' WHEN o.refunded_total = o.total THEN 'full' ELSE 'partial' END)`,
  },
  {
    name: 'cancelled-orders-refunded',
    rule: `a cancelled order's captured money is refunded or pending (the refund sweep books it again within minutes, and gives up after ${MAX_FAILED_REFUNDS} declined refunds): an order named here needs a refund by hand`,
    // Quiet for the grace period (nothing happened to the order: the sweep should have booked it),
    // or given up on: captured late and declined refunds are booked by a sweep, not in the
    // transaction that freed the money, so a younger order is work in progress, not a breach.
    sql: `SELECT o.id AS order_id, o.order_code, p.captured, r.refunded, r.pending, r.failed_refunds
          FROM orders o
          JOIN LATERAL (SELECT sum(amount) AS captured FROM payments WHERE order_id = o.id AND status = 'succeeded') p ON true
          JOIN LATERAL (
            SELECT COALESCE(sum(amount) FILTER (WHERE status = 'succeeded'), 0) AS refunded,
                   COALESCE(sum(amount) FILTER (WHERE status = 'pending'), 0) AS pending,
                   count(*) FILTER (WHERE status = 'failed') AS failed_refunds
            FROM refunds WHERE order_id = o.id
          ) r ON true
          WHERE ($1::uuid IS NULL OR o.tenant_id = $1) AND o.status = 'cancelled'
            AND p.captured > r.refunded + r.pending
            AND (r.failed_refunds >= ${MAX_FAILED_REFUNDS}
              OR NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id
                               AND e.created_at > now() - interval '${REFUND_OWED_GRACE_MINUTES} minutes'))`,
  },
  {
    name: 'references-within-tenant',
    rule: "every order's customer, every item's order and product, every reservation's order and product and every event's order belong to the row's own tenant",
    // Checked per statement by triggers (migration 0008); this is the same rule over the whole database.
    sql: `SELECT 'orders.customer_id' AS reference, o.id::text AS row_id FROM orders o
            WHERE ($1::uuid IS NULL OR o.tenant_id = $1) AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = o.tenant_id AND c.id = o.customer_id)
          UNION ALL
          SELECT 'order_items.order_id', i.id::text FROM order_items i
            WHERE ($1::uuid IS NULL OR i.tenant_id = $1) AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = i.tenant_id AND o.id = i.order_id)
          UNION ALL
          SELECT 'order_items.product_id', i.id::text FROM order_items i
            WHERE ($1::uuid IS NULL OR i.tenant_id = $1) AND NOT EXISTS (SELECT 1 FROM products p WHERE p.tenant_id = i.tenant_id AND p.id = i.product_id)
          UNION ALL
          SELECT 'stock_reservations.order_id/product_id', r.id::text FROM stock_reservations r
            WHERE ($1::uuid IS NULL OR r.tenant_id = $1)
              AND (NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = r.tenant_id AND o.id = r.order_id)
                OR NOT EXISTS (SELECT 1 FROM products p WHERE p.tenant_id = r.tenant_id AND p.id = r.product_id))
          UNION ALL
          SELECT 'order_events.order_id', e.id::text FROM order_events e
            WHERE ($1::uuid IS NULL OR e.tenant_id = $1) AND e.order_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = e.tenant_id AND o.id = e.order_id)`,
  },
  {
    name: 'status-matches-last-event',
    rule: "each order's status agrees with the last status change on its audit trail",
    sql: `SELECT o.id AS order_id, o.order_code, o.status, e.to_status AS last_event_status
          FROM orders o LEFT JOIN LATERAL (
            SELECT to_status FROM order_events WHERE order_id = o.id AND to_status IS NOT NULL ORDER BY id DESC LIMIT 1
          ) e ON true
          WHERE ($1::uuid IS NULL OR o.tenant_id = $1) AND e.to_status IS DISTINCT FROM o.status`,
  },
  {
    name: 'status-counts-tallied',
    rule: "the orders-per-status tallies (the dashboard's counts) equal the orders in each status",
    sql: `SELECT coalesce(a.tenant_id, t.tenant_id) AS tenant_id, coalesce(a.status, t.status) AS status, a.n AS orders, t.n AS tallied
          FROM (SELECT tenant_id, status, count(*) AS n FROM orders WHERE ($1::uuid IS NULL OR tenant_id = $1) GROUP BY tenant_id, status) a
          FULL JOIN (
            SELECT tenant_id, status, sum(n) AS n FROM order_status_tallies WHERE ($1::uuid IS NULL OR tenant_id = $1)
            GROUP BY tenant_id, status HAVING sum(n) <> 0
          ) t ON t.tenant_id = a.tenant_id AND t.status = a.status
          WHERE a.n IS DISTINCT FROM t.n`,
  },
];
