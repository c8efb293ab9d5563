import type { Executor } from '../../platform/db/types.js';
import { DomainError } from '../../platform/errors.js';
import { ORDER_COLUMNS, type Order } from './order.types.js';
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

/** Cursor = newest-first position (placed_at, id), opaque to clients. */
function decodeCursor(cursor: string): { placedAt: string; id: string } {
  try {
    const [placedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (typeof placedAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(placedAt))) return { placedAt, id };
  } catch {
    // fall through
  }
  throw new DomainError('INVALID_DATA', 'cursor: not a cursor this API returned; start again without it.');
}

const encodeCursor = (o: Order) => Buffer.from(JSON.stringify([o.placedAt.toISOString(), o.id])).toString('base64url');

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
    params.push(c.placedAt, c.id);
    where.push(`(o.placed_at, o.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(f.limit + 1);
  const { rows } = await ex.query<OrderWithCustomer>(
    `SELECT ${ORDER_COLUMNS}, c.email AS "customerEmail", c.name AS "customerName"
     FROM orders o JOIN customers c ON c.id = o.customer_id
     WHERE ${where.join(' AND ')} ORDER BY o.placed_at DESC, o.id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, f.limit);
  return { items: page, nextCursor: rows.length > f.limit ? encodeCursor(page[page.length - 1]!) : null };
}

export async function findOrderWithCustomer(ex: Executor, tenantId: string, id: string): Promise<OrderWithCustomer | undefined> {
  const { rows } = await ex.query<OrderWithCustomer>(
    `SELECT ${ORDER_COLUMNS}, c.email AS "customerEmail", c.name AS "customerName"
     FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.tenant_id = $1 AND o.id = $2`,
    [tenantId, id],
  );
  return rows[0];
}

export async function findReservations(ex: Executor, orderId: string) {
  const { rows } = await ex.query<{ sku: string; quantity: number; status: string; createdAt: Date; updatedAt: Date }>(
    `SELECT p.sku, r.quantity, r.status, r.created_at AS "createdAt", r.updated_at AS "updatedAt"
     FROM stock_reservations r JOIN products p ON p.id = r.product_id WHERE r.order_id = $1 ORDER BY p.sku`,
    [orderId],
  );
  return rows;
}
