import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { upsertCustomers } from '../customers/customer.repository.js';
import { appendEvents } from './order.events.js';
import type { NewOrder } from './order.types.js';

export interface CreateOrdersOptions {
  source: 'api' | 'import';
  importId?: string;
  /** Use the catalog price when a line does not carry one (the API); imports carry their own. */
  priceFromCatalog?: boolean;
}

export interface CreateOrdersResult {
  created: { id: string; orderCode: string }[];
  /** order codes that already existed in this tenant: a re-import or an overlapping file */
  existing: string[];
  rejected: { orderCode: string; reason: string; field: string }[];
}

interface CatalogRow {
  id: string;
  sku: string;
  name: string;
  price: number;
  currency: string;
}

/**
 * Creates many orders in a handful of statements and enqueues their reservation in the same
 * transaction. Safe to repeat: an order code that exists is reported as existing, not duplicated.
 */
export async function createOrders(
  ctx: Pick<AppContext, 'queue'>,
  tx: Executor,
  tenantId: string,
  orders: readonly NewOrder[],
  opts: CreateOrdersOptions,
): Promise<CreateOrdersResult> {
  const result: CreateOrdersResult = { created: [], existing: [], rejected: [] };
  if (orders.length === 0) return result;

  const skus = [...new Set(orders.flatMap((o) => o.items.map((i) => i.sku)))];
  const { rows: catalog } = await tx.query<CatalogRow>(
    `SELECT id, sku, name, price, currency FROM products WHERE tenant_id = $1 AND sku = ANY($2::text[])`,
    [tenantId, skus],
  );
  const bySku = new Map(catalog.map((p) => [p.sku, p]));

  const accepted: { order: NewOrder; lines: { product: CatalogRow; quantity: number; unitPrice: number }[] }[] = [];
  const seen = new Set<string>();
  for (const order of orders) {
    const lines = [];
    let reason: { field: string; reason: string } | undefined;
    if (seen.has(order.orderCode)) reason = { field: 'order_code', reason: `order code ${order.orderCode} appears twice in one request` };
    seen.add(order.orderCode);
    for (const item of reason ? [] : order.items) {
      const product = bySku.get(item.sku);
      if (!product) {
        reason = { field: 'sku', reason: `unknown SKU ${item.sku}: no such product in this tenant's catalog` };
        break;
      }
      const unitPrice = item.unitPrice ?? (opts.priceFromCatalog ? product.price : undefined);
      if (unitPrice === undefined) {
        reason = { field: 'unit_price', reason: `no unit price for SKU ${item.sku}` };
        break;
      }
      lines.push({ product, quantity: item.quantity, unitPrice });
    }
    if (reason) result.rejected.push({ orderCode: order.orderCode, ...reason });
    else accepted.push({ order, lines });
  }
  if (accepted.length === 0) return result;

  const customers = await upsertCustomers(
    tx,
    tenantId,
    accepted.map(({ order }) => ({ email: order.customerEmail, name: order.customerName })),
  );
  const customerId = new Map(customers.map((c) => [c.email, c.id]));

  const { rows: created } = await tx.query<{ id: string; orderCode: string }>(
    `INSERT INTO orders (tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source, import_id)
     SELECT $1, code, customer, currency, total, n, placed, $7, $8
     FROM unnest($2::text[], $3::uuid[], $4::text[], $5::bigint[], $6::int[], $9::timestamptz[])
       AS t(code, customer, currency, total, n, placed)
     ON CONFLICT (tenant_id, order_code) DO NOTHING
     RETURNING id, order_code AS "orderCode"`,
    [
      tenantId,
      accepted.map(({ order }) => order.orderCode),
      accepted.map(({ order }) => customerId.get(order.customerEmail.toLowerCase())),
      accepted.map(({ order }) => order.currency),
      accepted.map(({ lines }) => lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0)),
      accepted.map(({ lines }) => lines.length),
      opts.source,
      opts.importId ?? null,
      accepted.map(({ order }) => order.placedAt.toISOString()),
    ],
  );
  const createdCodes = new Set(created.map((c) => c.orderCode));
  const idByCode = new Map(created.map((c) => [c.orderCode, c.id]));
  result.created = created;
  result.existing = accepted.map(({ order }) => order.orderCode).filter((code) => !createdCodes.has(code));

  const items = accepted.filter(({ order }) => createdCodes.has(order.orderCode)).flatMap(({ order, lines }) =>
    lines.map((l) => ({ orderId: idByCode.get(order.orderCode)!, ...l })),
  );
  await tx.query(
    `INSERT INTO order_items (tenant_id, order_id, product_id, sku, name, quantity, unit_price, line_total)
     SELECT $1, o, p, s, n, q, u, q * u FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::bigint[]) AS t(o, p, s, n, q, u)`,
    [
      tenantId,
      items.map((i) => i.orderId),
      items.map((i) => i.product.id),
      items.map((i) => i.product.sku),
      items.map((i) => i.product.name),
      items.map((i) => i.quantity),
      items.map((i) => i.unitPrice),
    ],
  );
  await appendEvents(
    tx,
    tenantId,
    created.map((c) => ({ orderId: c.id, type: 'order.created', to: 'pending', data: { source: opts.source, ...(opts.importId && { importId: opts.importId }) } })),
  );
  await enqueueReservation(ctx, tx, tenantId, created.map((c) => c.id));
  return result;
}

export const RESERVE_BATCH = 500;

/** Reservation is enqueued in batches of orders, in the caller's transaction. */
export async function enqueueReservation(ctx: Pick<AppContext, 'queue'>, tx: Executor, tenantId: string, orderIds: readonly string[]) {
  const batches = [];
  for (let i = 0; i < orderIds.length; i += RESERVE_BATCH) batches.push({ tenantId, orderIds: orderIds.slice(i, i + RESERVE_BATCH) });
  await ctx.queue.sendMany(tx, 'orders_reserve', batches);
}
