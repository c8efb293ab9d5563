/**
 * The schema's write floor: the rows an import wrote (orders, items, order.created events),
 * written again for a second tenant by one INSERT ... SELECT per table: the heap, indexes, WAL
 * and reference checks of the same rows, with no parsing, validation, grouping or staging. No
 * implementation of ingestion on this schema can be faster; the ingest figure is read against it.
 */
import type { Database } from '../../src/platform/db/types.js';
import { insertImport } from '../../src/modules/imports/import.repository.js';
import { resolveImportOptions } from '../../src/modules/imports/import.options.js';
import { ensureTenant } from '../../src/modules/tenants/tenant.repository.js';

/** Copies `from`'s orders into a new tenant; returns the seconds the three timed statements took. */
export async function schemaWriteFloor(db: Database, from: string): Promise<{ seconds: number; lines: number }> {
  const to = (await ensureTenant(db, 'bench-schema-floor')).id;
  const imp = (await insertImport(db, to, { fileName: 'schema-floor', fileSha256: null, options: resolveImportOptions({}), source: 'cli', bytesTotal: null }))!;
  // Untimed: the second tenant's catalog and customers, and new ids for its orders.
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO products (tenant_id, sku, name, price, currency, stock_on_hand)
       SELECT $2, sku, name, price, currency, stock_on_hand FROM products WHERE tenant_id = $1`,
      [from, to],
    );
    await tx.query(`INSERT INTO customers (tenant_id, email, name) SELECT $2, email, name FROM customers WHERE tenant_id = $1`, [from, to]);
    await tx.exec(`CREATE TABLE floor_ids AS
      SELECT o.id AS old_id, uuid_v7() AS new_id, c2.id AS customer_id
      FROM orders o JOIN customers c ON c.id = o.customer_id JOIN customers c2 ON c2.tenant_id = '${to}' AND c2.email = c.email
      WHERE o.tenant_id = '${from}'`);
    await tx.exec(`CREATE TABLE floor_products AS
      SELECT p.id AS old_id, p2.id AS new_id FROM products p JOIN products p2 ON p2.tenant_id = '${to}' AND p2.sku = p.sku
      WHERE p.tenant_id = '${from}'`);
  });
  await db.exec('ANALYZE floor_ids, floor_products, orders, order_items, order_events, customers, products');
  const t = performance.now();
  const lines = await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO orders (id, tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source, import_id)
       SELECT f.new_id, $2, o.order_code, f.customer_id, o.currency, o.total, o.items_count, o.placed_at, o.source, $3
       FROM orders o JOIN floor_ids f ON f.old_id = o.id WHERE o.tenant_id = $1 ORDER BY f.new_id`,
      [from, to, imp.id],
    );
    const { rowCount } = await tx.query(
      `INSERT INTO order_items (tenant_id, order_id, product_id, sku, name, quantity, unit_price, line_total)
       SELECT $2, f.new_id, fp.new_id, i.sku, i.name, i.quantity, i.unit_price, i.line_total
       FROM order_items i JOIN floor_ids f ON f.old_id = i.order_id JOIN floor_products fp ON fp.old_id = i.product_id
       WHERE i.tenant_id = $1`,
      [from, to],
    );
    await tx.query(
      `INSERT INTO order_events (tenant_id, order_id, type, to_status, data)
       SELECT $1, f.new_id, 'order.created', 'pending', '{"source":"import"}'::jsonb FROM floor_ids f`,
      [to],
    );
    return rowCount;
  });
  return { seconds: (performance.now() - t) / 1000, lines };
}
