import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { customerCtes, wantedCustomers } from '../customers/customer.repository.js';
import { catalogCacheOf, type CatalogRow } from './catalog-cache.js';
import type { OrderWithCustomer } from './order.queries.js';
import type { OrderEventRow } from './order.repository.js';
import { ORDER_COLUMNS, type NewOrder, type OrderItem } from './order.types.js';

export interface CreateOrdersOptions {
  source: 'api' | 'import';
  importId?: string;
  /** Use the catalog price when a line does not carry one (the API); imports carry their own. */
  priceFromCatalog?: boolean;
}

/** An order to create; without a currency it takes its products' one currency (the API). */
export type OrderInput = Omit<NewOrder, 'currency'> & { currency?: string };

/** A created order as written: enough to answer 201 without reading it back. */
export interface CreatedOrder {
  id: string;
  orderCode: string;
  order: OrderWithCustomer;
  items: OrderItem[];
  /** its `order.created` event */
  event: OrderEventRow;
}

export interface Rejection {
  orderCode: string;
  /** the request field at fault: `${field}: ${reason}.` is the message a user reads */
  field: string;
  reason: string;
  /** the unknown SKUs, when those were the reason */
  skus?: string[];
}

export interface CreateOrdersResult {
  created: CreatedOrder[];
  /** order codes that already existed in this tenant: a re-import or an overlapping file */
  existing: string[];
  rejected: Rejection[];
}

interface Line {
  product: CatalogRow;
  quantity: number;
  unitPrice: number;
}

/** Checks orders against the catalog: the lines to write, or why an order is refused. */
function checkOrders(orders: readonly OrderInput[], bySku: Map<string, CatalogRow>, opts: CreateOrdersOptions) {
  const accepted: { order: OrderInput; currency: string; lines: Line[] }[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  for (const order of orders) {
    const refuse = (field: string, reason: string, skus?: string[]) => rejected.push({ orderCode: order.orderCode, field, reason, ...(skus && { skus }) });
    if (seen.has(order.orderCode)) {
      refuse('orderCode', `order code ${order.orderCode} appears twice in one request`);
      continue;
    }
    seen.add(order.orderCode);
    const unknown = order.items.filter((i) => !bySku.has(i.sku)).map((i) => i.sku);
    if (unknown.length) {
      refuse('items', `unknown SKU ${unknown.join(', ')}; no such product in the catalog`, unknown);
      continue;
    }
    const lines: Line[] = [];
    for (const item of order.items) {
      const product = bySku.get(item.sku)!;
      const unitPrice = item.unitPrice ?? (opts.priceFromCatalog ? product.price : undefined);
      if (unitPrice === undefined) break;
      lines.push({ product, quantity: item.quantity, unitPrice });
    }
    if (lines.length < order.items.length) {
      refuse('unit_price', `no unit price for SKU ${order.items[lines.length]!.sku}`);
      continue;
    }
    if (!Number.isSafeInteger(lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0))) {
      refuse('items', 'the order total is too large to be counted exactly; split the order');
      continue;
    }
    const currencies = [...new Set(lines.map((l) => l.product.currency))];
    if (!order.currency && currencies.length > 1) {
      refuse('items', `products are priced in ${currencies.join(' and ')}; one order takes one currency`);
      continue;
    }
    accepted.push({ order, currency: order.currency ?? currencies[0]!, lines });
  }
  return { accepted, rejected };
}

/**
 * Creates many orders and enqueues their reservation in one statement, which needs no
 * transaction around it (the caller may still hold one): the customers that are missing, the
 * orders, their items and `order.created` events, and the reservation job of the orders it
 * inserted. The catalog rows come from this process's cache (a read only for SKUs it has not
 * seen); the statement writes nothing if one of them is no longer the product's, and is then
 * run again with the rows read afresh. On PostgreSQL a round trip costs more than most of these
 * statements do, so a placement group is one of them, not six.
 *
 * Safe to repeat: an order code that exists is reported as existing, not duplicated. Customers
 * are inserted in email order, then orders in order-code order, so two statements creating
 * overlapping ones wait on each other in one order and cannot deadlock (customers: customerCtes,
 * which also takes a customer a concurrent transaction inserted meanwhile).
 */
export async function createOrders(
  ctx: Pick<AppContext, 'queue'>,
  ex: Executor,
  tenantId: string,
  orders: readonly OrderInput[],
  opts: CreateOrdersOptions,
): Promise<CreateOrdersResult> {
  if (orders.length === 0) return { created: [], existing: [], rejected: [] };
  const cache = catalogCacheOf(ctx);
  const skus = [...new Set(orders.flatMap((o) => o.items.map((i) => i.sku)))];
  for (let attempt = 1; ; attempt++) {
    const result = await writeOrders(ctx, ex, tenantId, orders, await cache.lookUp(ex, tenantId, skus), opts);
    if (result !== 'catalog changed') return result;
    cache.forget(tenantId, skus);
    if (attempt === 3) throw new Error(`the catalog of tenant ${tenantId} changed under three placements in a row`);
  }
}

/** The orders checked against these catalog rows and written, or nothing if a row has changed. */
async function writeOrders(
  ctx: Pick<AppContext, 'queue'>,
  ex: Executor,
  tenantId: string,
  orders: readonly OrderInput[],
  catalog: Map<string, CatalogRow>,
  opts: CreateOrdersOptions,
): Promise<CreateOrdersResult | 'catalog changed'> {
  const { accepted, rejected } = checkOrders(orders, catalog, opts);
  const result: CreateOrdersResult = { created: [], existing: [], rejected };
  if (accepted.length === 0) return result;

  const customers = wantedCustomers(accepted.map(({ order }) => ({ email: order.customerEmail, name: order.customerName })));
  const lines = accepted.flatMap(({ order, lines }) => lines.map((l) => ({ code: order.orderCode, ...l })));
  const used = [...new Map(lines.map((l) => [l.product.id, l.product])).values()];
  const eventData = { source: opts.source, ...(opts.importId && { importId: opts.importId }) };
  // Reservation jobs of the orders this statement inserted, RESERVE_BATCH a job (none if none).
  const reservation = `SELECT jsonb_build_object('tenantId', ($1::uuid)::text, 'orderIds', jsonb_agg(id ORDER BY order_code))
       FROM (SELECT id, order_code, (row_number() OVER (ORDER BY order_code) - 1) / ${RESERVE_BATCH} AS batch FROM o) b GROUP BY batch`;

  type Row = OrderWithCustomer & { eventId: number; eventCreatedAt: Date };
  const { rows } = await ex.query<{ changed: boolean } & (Row | { [K in keyof Row]: null })>(
    `WITH changed AS (
       -- A catalog row this statement was given that is no longer the product's: write nothing.
       SELECT 1 FROM unnest($19::uuid[], $20::text[], $21::text[], $22::bigint[], $23::text[]) AS k(id, sku, name, price, currency)
       LEFT JOIN products p ON p.tenant_id = $1 AND p.id = k.id
       WHERE p.id IS NULL OR (p.sku, p.name, p.price, p.currency::text) IS DISTINCT FROM (k.sku, k.name, k.price, k.currency)
       LIMIT 1
     ), ${customerCtes('$1', '$17', '$18', 'EXISTS (SELECT 1 FROM changed)')}, o AS (
       INSERT INTO orders (tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source, import_id)
       SELECT $1, t.code, c.id, t.currency, t.total, t.n, t.placed, $8, $9
       FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[], $7::timestamptz[]) AS t(code, email, currency, total, n, placed)
       JOIN c ON c.email = t.email
       WHERE NOT EXISTS (SELECT 1 FROM changed)
       ORDER BY t.code
       ON CONFLICT (tenant_id, order_code) DO NOTHING
       RETURNING *
     ), items AS (
       INSERT INTO order_items (tenant_id, order_id, product_id, sku, name, quantity, unit_price, line_total)
       SELECT $1, o.id, l.p, l.s, l.n, l.q, l.u, l.q * l.u
       FROM unnest($10::text[], $11::uuid[], $12::text[], $13::text[], $14::int[], $15::bigint[]) WITH ORDINALITY AS l(code, p, s, n, q, u, ord)
       JOIN o ON o.order_code = l.code
       ORDER BY l.ord
     ), e AS (
       INSERT INTO order_events (tenant_id, order_id, type, to_status, data)
       SELECT $1, o.id, 'order.created', 'pending', $16::jsonb FROM o
       RETURNING order_id, id, created_at
     ), job AS (
       ${ctx.queue.insertJobSql('orders_reserve', reservation)}
     )
     SELECT EXISTS (SELECT 1 FROM changed) AS changed, r.* FROM (SELECT 1) one LEFT JOIN (
       SELECT ${ORDER_COLUMNS}, c.email AS "customerEmail", c.name AS "customerName", e.id AS "eventId", e.created_at AS "eventCreatedAt"
       FROM o JOIN e ON e.order_id = o.id JOIN c ON c.id = o.customer_id
     ) r ON true`,
    [
      tenantId,
      accepted.map(({ order }) => order.orderCode),
      accepted.map(({ order }) => order.customerEmail.toLowerCase()),
      accepted.map(({ currency }) => currency),
      accepted.map(({ lines }) => lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0)),
      accepted.map(({ lines }) => lines.length),
      accepted.map(({ order }) => order.placedAt.toISOString()),
      opts.source,
      opts.importId ?? null,
      lines.map((l) => l.code),
      lines.map((l) => l.product.id),
      lines.map((l) => l.product.sku),
      lines.map((l) => l.product.name),
      lines.map((l) => l.quantity),
      lines.map((l) => l.unitPrice),
      JSON.stringify(eventData),
      customers.emails,
      customers.names,
      used.map((p) => p.id),
      used.map((p) => p.sku),
      used.map((p) => p.name),
      used.map((p) => p.price),
      used.map((p) => p.currency),
    ],
    { prepareAs: 'orders.create' },
  );

  if (rows[0]!.changed) return 'catalog changed';
  const written = new Map(rows.flatMap(({ changed: _, ...r }) => (r.id === null ? [] : [[r.orderCode, r] as const])));
  for (const { order, lines } of accepted) {
    const row = written.get(order.orderCode);
    if (!row) {
      result.existing.push(order.orderCode);
      continue;
    }
    const { eventId, eventCreatedAt, ...rest } = row;
    result.created.push({
      id: row.id,
      orderCode: row.orderCode,
      order: rest,
      items: lines.map((l) => ({ sku: l.product.sku, name: l.product.name, quantity: l.quantity, unitPrice: l.unitPrice, lineTotal: l.quantity * l.unitPrice })),
      event: { id: eventId, type: 'order.created', fromStatus: null, toStatus: 'pending', data: eventData, createdAt: eventCreatedAt },
    });
  }
  return result;
}

export const RESERVE_BATCH = 500;

/**
 * Reservation is enqueued in batches of orders, in the caller's transaction: a job exists if and
 * only if its orders were committed (no lost and no phantom jobs), and a burst of API orders
 * placed together (see order.placement.ts) shares one job instead of one job per order.
 */
export async function enqueueReservation(ctx: Pick<AppContext, 'queue'>, tx: Executor, tenantId: string, orderIds: readonly string[]) {
  const batches = [];
  for (let i = 0; i < orderIds.length; i += RESERVE_BATCH) batches.push({ tenantId, orderIds: orderIds.slice(i, i + RESERVE_BATCH) });
  await ctx.queue.sendMany(tx, 'orders_reserve', batches);
}
