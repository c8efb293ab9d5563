import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { newCustomer, newProduct, newTenant } from '../../../test/factories.js';
import type { Executor } from './types.js';

/** Runs `sql` in a transaction that is always rolled back; returns the SQLSTATE it failed with. */
async function failure(ex: { transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> }, sql: string, params: unknown[] = []) {
  try {
    await ex.transaction(async (tx) => {
      await tx.query(sql, params);
      throw new Error('ROLLBACK_OK');
    });
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.message === 'ROLLBACK_OK') return 'accepted';
    return e.code ?? e.message;
  }
  return 'accepted';
}

describe('schema constraints', () => {
  let t: TestDatabase;
  let tenant: string;
  let other: string;
  let product: string;
  let customer: string;
  let order: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const a = await newTenant(t.db);
    const b = await newTenant(t.db);
    tenant = a.id;
    other = b.id;
    product = (await newProduct(t.db, a, { stock: 5 })).id;
    customer = (await newCustomer(t.db, a)).id;
    const { rows } = await t.db.query<{ id: string }>(
      `INSERT INTO orders (tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source)
       VALUES ($1, 'ORD-1', $2, 'EUR', 1000, 1, now(), 'api') RETURNING id`,
      [tenant, customer],
    );
    order = rows[0]!.id;
  });
  afterAll(() => t.close());

  const CHECK = '23514';
  const UNIQUE = '23505';
  const FK = '23503';

  const cases: [string, () => [string, unknown[]], string][] = [
    ['reserved stock above stock on hand', () => [`UPDATE products SET stock_reserved = 6 WHERE id = $1`, [product]], CHECK],
    ['negative reserved stock', () => [`UPDATE products SET stock_reserved = -1 WHERE id = $1`, [product]], CHECK],
    ['negative stock on hand', () => [`UPDATE products SET stock_on_hand = -1 WHERE id = $1`, [product]], CHECK],
    ['a negative price', () => [`UPDATE products SET price = -1 WHERE id = $1`, [product]], CHECK],
    ['a currency that is not ISO 4217', () => [`UPDATE products SET currency = 'eu' WHERE id = $1`, [product]], CHECK],
    ['a duplicate SKU in one tenant', () => [`INSERT INTO products (tenant_id, sku, price, currency, stock_on_hand) SELECT tenant_id, sku, 1, 'EUR', 1 FROM products WHERE id = $1`, [product]], UNIQUE],
    ['a duplicate customer email in one tenant', () => [`INSERT INTO customers (tenant_id, email) SELECT tenant_id, email FROM customers WHERE id = $1`, [customer]], UNIQUE],
    ['an upper-case email', () => [`INSERT INTO customers (tenant_id, email) VALUES ($1, 'Big@Example.com')`, [tenant]], CHECK],
    ['an order status outside the state machine', () => [`UPDATE orders SET status = 'lost' WHERE id = $1`, [order]], CHECK],
    ['a failed order without a reason', () => [`UPDATE orders SET status = 'failed' WHERE id = $1`, [order]], CHECK],
    ['a refund status outside none/partial/full', () => [`UPDATE orders SET refund_status = 'some' WHERE id = $1`, [order]], CHECK],
    ['refunding more than the total', () => [`UPDATE orders SET refunded_total = 1001 WHERE id = $1`, [order]], CHECK],
    ['a duplicate order code in one tenant', () => [`INSERT INTO orders (tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source) VALUES ($1, 'ORD-1', $2, 'EUR', 1, 1, now(), 'api')`, [tenant, customer]], UNIQUE],
    ['an imported order without its import', () => [`UPDATE orders SET source = 'import' WHERE id = $1`, [order]], CHECK],
    ['an order pointing at another tenant\'s customer', () => [`UPDATE orders SET tenant_id = $2 WHERE id = $1`, [order, other]], FK],
    ['a zero quantity item', () => [`INSERT INTO order_items (tenant_id, order_id, product_id, sku, quantity, unit_price, line_total) VALUES ($1, $2, $3, 'X', 0, 100, 0)`, [tenant, order, product]], CHECK],
    ['an item whose line total is not quantity x price', () => [`INSERT INTO order_items (tenant_id, order_id, product_id, sku, quantity, unit_price, line_total) VALUES ($1, $2, $3, 'X', 2, 100, 150)`, [tenant, order, product]], CHECK],
    ['an item in another tenant\'s order', () => [`INSERT INTO order_items (tenant_id, order_id, product_id, sku, quantity, unit_price, line_total) VALUES ($1, $2, $3, 'X', 1, 100, 100)`, [other, order, product]], FK],
    ['a reservation of zero units', () => [`INSERT INTO stock_reservations (tenant_id, order_id, product_id, quantity) VALUES ($1, $2, $3, 0)`, [tenant, order, product]], CHECK],
    ['a reservation in an unknown state', () => [`INSERT INTO stock_reservations (tenant_id, order_id, product_id, quantity, status) VALUES ($1, $2, $3, 1, 'held')`, [tenant, order, product]], CHECK],
    ['a failed payment without a decline code', () => [`INSERT INTO payments (tenant_id, order_id, amount, currency, status) VALUES ($1, $2, 1000, 'EUR', 'failed')`, [tenant, order]], CHECK],
    ['a zero refund', () => [`INSERT INTO refunds (tenant_id, order_id, payment_id, amount, currency, reason) VALUES ($1, $2, gen_random_uuid(), 0, 'EUR', 'x')`, [tenant, order]], CHECK],
    ['a notification of an unknown type', () => [`INSERT INTO notifications (tenant_id, dedupe_key, type, channel, recipient) VALUES ($1, 'k', 'spam', 'email', 'a@b.c')`, [tenant]], CHECK],
    ['a notification on an unknown channel', () => [`INSERT INTO notifications (tenant_id, dedupe_key, type, channel, recipient) VALUES ($1, 'k', 'order_shipped', 'fax', 'a@b.c')`, [tenant]], CHECK],
    ['a completed import whose lines do not add up', () => [`INSERT INTO imports (tenant_id, file_name, status, lines_read, lines_accepted, lines_rejected) VALUES ($1, 'f.csv', 'completed', 10, 5, 4)`, [tenant]], CHECK],
    ['an inventory adjustment of zero', () => [`INSERT INTO inventory_adjustments (tenant_id, product_id, delta, kind, reason) VALUES ($1, $2, 0, 'restock', 'x')`, [tenant, product]], CHECK],
    ['an api key with an unknown role', () => [`INSERT INTO api_keys (tenant_id, name, role, key_prefix, key_hash) VALUES ($1, 'k', 'root', 'p', repeat('a', 64))`, [tenant]], CHECK],
    ['a tenant slug with spaces', () => [`INSERT INTO tenants (slug, name) VALUES ('my shop', 'x')`, []], CHECK],
    // References are checked per statement (0008): the same refusals as the foreign keys they replace.
    ['an order of a customer that does not exist', () => [`INSERT INTO orders (tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source) VALUES ($1, 'ORD-X', gen_random_uuid(), 'EUR', 1, 1, now(), 'api')`, [tenant]], FK],
    ['an order of another tenant\'s customer', () => [`INSERT INTO orders (tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source) VALUES ($1, 'ORD-X', $2, 'EUR', 1, 1, now(), 'api')`, [other, customer]], FK],
    ['an item of a product in another tenant (among valid rows)', () => [`INSERT INTO order_items (tenant_id, order_id, product_id, sku, quantity, unit_price, line_total) SELECT $1::uuid, $2::uuid, $3::uuid, 'X', 1, 100, 100 UNION ALL SELECT $1::uuid, $2::uuid, gen_random_uuid(), 'Y', 1, 100, 100`, [tenant, order, product]], FK],
    ['a reservation of another tenant\'s order', () => [`INSERT INTO stock_reservations (tenant_id, order_id, product_id, quantity) VALUES ($1, $2, $3, 1)`, [other, order, product]], FK],
    ['a payment of an order that does not exist', () => [`INSERT INTO payments (tenant_id, order_id, amount, currency) VALUES ($1, gen_random_uuid(), 1000, 'EUR')`, [tenant]], FK],
    ['an event naming another tenant\'s order', () => [`INSERT INTO order_events (tenant_id, order_id, type, to_status) VALUES ($1, $2, 'order.created', 'pending')`, [other, order]], FK],
    ['an event of a tenant that does not exist', () => [`INSERT INTO order_events (tenant_id, type) VALUES (gen_random_uuid(), 'import.finished')`, []], FK],
    ['re-pointing an order at another customer', () => [`UPDATE orders SET customer_id = gen_random_uuid() WHERE id = $1`, [order]], FK],
    ['deleting a customer', () => [`DELETE FROM customers WHERE id = $1`, [customer]], FK],
    ['deleting a product', () => [`DELETE FROM products WHERE id = $1`, [product]], FK],
    ['deleting an order', () => [`DELETE FROM orders WHERE id = $1`, [order]], FK],
    ['truncating the tenants', () => [`TRUNCATE tenants CASCADE`, []], FK],
    ['a refund of another tenant\'s order', () => [`INSERT INTO refunds (tenant_id, order_id, payment_id, amount, currency, reason) VALUES ($1, $2, gen_random_uuid(), 1, 'EUR', 'x')`, [other, order]], FK],
  ];

  for (const [what, build, expected] of cases) {
    it(`refuses ${what}`, async () => {
      const [sql, params] = build();
      expect(await failure(t.db, sql, params)).toBe(expected);
    });
  }

  it('refuses to change or delete the audit trail', async () => {
    await t.db.query(`INSERT INTO order_events (tenant_id, order_id, type, to_status) VALUES ($1, $2, 'order.created', 'pending')`, [tenant, order]);
    expect(await failure(t.db, `UPDATE order_events SET type = 'order.forged' WHERE order_id = $1`, [order])).toMatch(/append-only|P0001/);
    expect(await failure(t.db, `DELETE FROM order_events WHERE order_id = $1`, [order])).toMatch(/append-only|P0001/);
  });

  it('accepts a valid order item (the cases above fail for their own reason)', async () => {
    expect(await failure(t.db, `INSERT INTO order_items (tenant_id, order_id, product_id, sku, quantity, unit_price, line_total) VALUES ($1, $2, $3, 'X', 2, 100, 200)`, [tenant, order, product])).toBe('accepted');
  });
});
