import type { Executor } from '../../platform/db/types.js';
import { cursorInstantSql, decodeCursor, encodeCursor } from '../../platform/db/keyset-cursor.js';
import { ORDER_COLUMNS, type Order } from './order.types.js';
import { countOrdersByStatus } from './status-tallies.js';
import type { OrderStatus } from './order.state.js';

export interface OrderFilter {
  status?: OrderStatus;
  customer?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

export interface OrderWithCustomer extends Order {
  customerEmail: string;
  customerName: string;
}

/** Keyset paging: stable under inserts, no OFFSET scans on large tables. */
export async function listOrders(ex: Executor, tenantId: string, f: OrderFilter): Promise<{ items: OrderWithCustomer[]; nextCursor: string | null }> {
  const where = ['o.tenant_id = $1'];
  const params: unknown[] = [tenantId];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (f.status) add('o.status = ?', f.status);
  if (f.customer) add('(c.email = lower(?) OR c.id::text = ?)', f.customer);
  if (f.from) add('o.placed_at >= ?', f.from);
  if (f.to) add('o.placed_at < ?', f.to);
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    params.push(c.at, c.id);
    where.push(`(o.placed_at, o.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  // No index has status (status changes stay HOT, migration 0015): a status filter walks the
  // newest-first index. The tally bounds that walk: nothing to find, no walk; n to find, stop at
  // the n-th instead of reading on to the end to prove there is no n+1-th. (An order that moves
  // into the status between the two reads shows on the next one, as if this read came first.)
  let cap = f.limit + 1;
  if (f.status) {
    cap = Math.min(cap, (await countOrdersByStatus(ex, tenantId)).get(f.status) ?? 0);
    if (cap === 0) return { items: [], nextCursor: null };
  }
  params.push(cap);
  const { rows } = await ex.query<OrderWithCustomer & { cursorAt: string }>(
    `SELECT ${ORDER_COLUMNS}, c.email AS "customerEmail", c.name AS "customerName", ${cursorInstantSql('o.placed_at')} AS "cursorAt"
     FROM orders o JOIN customers c ON c.id = o.customer_id
     WHERE ${where.join(' AND ')} ORDER BY o.placed_at DESC, o.id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursorAt: _, ...order }) => order),
    nextCursor: rows.length > f.limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null,
  };
}

export async function findOrderWithCustomer(ex: Executor, tenantId: string, id: string): Promise<OrderWithCustomer | undefined> {
  const { rows } = await ex.query<OrderWithCustomer>(
    `SELECT ${ORDER_COLUMNS}, c.email AS "customerEmail", c.name AS "customerName"
     FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.tenant_id = $1 AND o.id = $2`,
    [tenantId, id],
  );
  return rows[0];
}

/** As JavaScript's toISOString() writes it, so JSON built in SQL matches rows read into Dates. */
const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface OrderDetailRow extends OrderWithCustomer {
  items: { sku: string; name: string; quantity: number; unitPrice: number; lineTotal: number }[];
  reservations: { sku: string; quantity: number; status: string; createdAt: string; updatedAt: string }[];
  payments: { id: string; amount: number; currency: string; status: string; declineCode: string | null; createdAt: string; updatedAt: string }[];
  events: { id: number; type: string; fromStatus: string | null; toStatus: string | null; data: Record<string, unknown>; createdAt: string }[];
  /** whether any refund row exists: only then are refunds worth reading */
  hasRefunds: boolean;
}

/**
 * One order with its customer, items, reservations, payments and event timeline in ONE query
 * (each list a json_agg over its index), in the same orders as the single-table reads.
 */
export async function findOrderDetail(ex: Executor, tenantId: string, id: string): Promise<OrderDetailRow | undefined> {
  const { rows } = await ex.query<OrderDetailRow>(
    `SELECT ${ORDER_COLUMNS}, c.email AS "customerEmail", c.name AS "customerName",
       (SELECT coalesce(json_agg(json_build_object('sku', i.sku, 'name', i.name, 'quantity', i.quantity,
                 'unitPrice', i.unit_price, 'lineTotal', i.line_total) ORDER BY i.id), '[]')
        FROM order_items i WHERE i.order_id = o.id) AS items,
       (SELECT coalesce(json_agg(json_build_object('sku', r.sku, 'quantity', r.quantity, 'status', r.status,
                 'createdAt', ${iso('r.created_at')}, 'updatedAt', ${iso('r.updated_at')}) ORDER BY r.sku), '[]')
        -- the SKU by primary key per reservation: a join may hash the whole catalog
        FROM (SELECT r.*, (SELECT p.sku FROM products p WHERE p.id = r.product_id) AS sku
              FROM stock_reservations r WHERE r.order_id = o.id) r) AS reservations,
       (SELECT coalesce(json_agg(json_build_object('id', y.id, 'amount', y.amount, 'currency', y.currency, 'status', y.status,
                 'declineCode', y.decline_code, 'createdAt', ${iso('y.created_at')}, 'updatedAt', ${iso('y.updated_at')}) ORDER BY y.created_at), '[]')
        FROM payments y WHERE y.order_id = o.id) AS payments,
       (SELECT coalesce(json_agg(json_build_object('id', e.id, 'type', e.type, 'fromStatus', e.from_status, 'toStatus', e.to_status,
                 'data', e.data, 'createdAt', ${iso('e.created_at')}) ORDER BY e.id), '[]')
        FROM order_events e WHERE e.order_id = o.id) AS events,
       EXISTS (SELECT 1 FROM refunds f WHERE f.order_id = o.id) AS "hasRefunds"
     FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.tenant_id = $1 AND o.id = $2`,
    [tenantId, id],
    { prepareAs: 'orders.detail' },
  );
  return rows[0];
}
