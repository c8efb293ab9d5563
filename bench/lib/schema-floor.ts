/**
 * The schema's write floors: the rows an import wrote (orders, items, order.created events),
 * written again for a second tenant by COPY, the fastest way PostgreSQL has to write rows: the
 * heap, indexes, triggers (the statement-level reference checks), WAL of the same rows, with no
 * parsing, validation, grouping or staging. No implementation of ingestion on this schema can be
 * faster; the ingest figure is read against it.
 *
 * The same rows COPYed into bare copies of the three tables that keep only their keys (the
 * primary keys and the unique order code an import's idempotency needs; no other index, no
 * trigger) say what a leaner schema could do on this machine at most.
 */
import type { Database, Executor } from '../../src/platform/db/types.js';
import { insertImport } from '../../src/modules/imports/import.repository.js';
import { resolveImportOptions } from '../../src/modules/imports/import.options.js';
import { ensureTenant } from '../../src/modules/tenants/tenant.repository.js';

const ORDER_COLUMNS = 'id, tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source, import_id';
const ITEM_COLUMNS = 'tenant_id, order_id, product_id, sku, name, quantity, unit_price, line_total';
const EVENT_COLUMNS = 'tenant_id, order_id, type, to_status, data';
/** Orders per COPY: an import chunk's size, and small enough for PGlite's in-memory COPY input. */
const CHUNK_ORDERS = 20_000;

const csv = (col: string) => `'"' || replace(${col}::text, '"', '""') || '"'`;

const newlines = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

interface Chunk {
  orders: string;
  items: string;
  events: string;
}

/** The second tenant's rows as COPY text, a chunk of orders at a time (untimed). */
async function copyText(db: Database, from: string, to: string, importId: string): Promise<{ chunks: Chunk[]; lines: number }> {
  const chunks: Chunk[] = [];
  let lines = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows: ids } = await db.query<{ hi: string | null }>(
      `SELECT new_id::text AS hi FROM (SELECT new_id FROM floor_ids WHERE new_id > $1 ORDER BY new_id LIMIT $2) c ORDER BY new_id DESC LIMIT 1`,
      [after, CHUNK_ORDERS],
    );
    const hi = ids[0]?.hi;
    if (!hi) return { chunks, lines };
    const text = async (sql: string, params: unknown[]) => (await db.query<{ t: string | null }>(sql, params)).rows[0]?.t ?? '';
    const range = `f.new_id > $1::uuid AND f.new_id <= $2::uuid`;
    const chunk = {
      orders: await text(
        `SELECT string_agg(concat_ws(',', f.new_id, $3::uuid, ${csv('o.order_code')}, f.customer_id, o.currency, o.total, o.items_count,
           o.placed_at, o.source, $4::uuid) || E'\\n', '' ORDER BY f.new_id) AS t
         FROM orders o JOIN floor_ids f ON f.old_id = o.id WHERE ${range}`,
        [after, hi, to, importId],
      ),
      items: await text(
        `SELECT string_agg(concat_ws(',', $3::uuid, f.new_id, fp.new_id, ${csv('i.sku')}, ${csv('i.name')}, i.quantity, i.unit_price, i.line_total)
           || E'\\n', '' ORDER BY f.new_id) AS t
         FROM order_items i JOIN floor_ids f ON f.old_id = i.order_id JOIN floor_products fp ON fp.old_id = i.product_id
         WHERE ${range} AND i.tenant_id = $4::uuid`,
        [after, hi, to, from],
      ),
      events: await text(
        `SELECT string_agg(concat_ws(',', $3::uuid, f.new_id, 'order.created', 'pending', ${csv(`'{"source":"import"}'`)}) || E'\\n', '' ORDER BY f.new_id) AS t
         FROM floor_ids f WHERE ${range}`,
        [after, hi, to],
      ),
    };
    lines += newlines(chunk.items);
    chunks.push(chunk);
    after = hi;
  }
}

/** COPYs every chunk into the named tables in one transaction; returns the seconds it took. */
async function copyChunks(db: Database, chunks: readonly Chunk[], tables: { orders: string; items: string; events: string }): Promise<number> {
  const t = performance.now();
  await db.transaction(async (tx: Executor) => {
    if (db.kind === 'postgres') await tx.exec('SET LOCAL synchronous_commit = off');
    for (const c of chunks) {
      await tx.copyFrom(`COPY ${tables.orders} (${ORDER_COLUMNS}) FROM STDIN WITH (FORMAT csv)`, c.orders);
      await tx.copyFrom(`COPY ${tables.items} (${ITEM_COLUMNS}) FROM STDIN WITH (FORMAT csv)`, c.items);
      await tx.copyFrom(`COPY ${tables.events} (${EVENT_COLUMNS}) FROM STDIN WITH (FORMAT csv)`, c.events);
    }
  });
  return (performance.now() - t) / 1000;
}

/** Copies `from`'s orders into a new tenant, then into key-only tables; returns both timings. */
export async function schemaWriteFloor(db: Database, from: string): Promise<{ seconds: number; keysOnlySeconds: number; lines: number }> {
  const to = (await ensureTenant(db, 'bench-schema-floor')).id;
  const imp = (await insertImport(db, to, { fileName: 'schema-floor', fileSha256: null, options: resolveImportOptions({}), source: 'cli', bytesTotal: null }))!;
  // Untimed: the second tenant's catalog and customers, new ids for its orders, the COPY text.
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
    await tx.exec(`CREATE INDEX ON floor_ids (new_id)`);
    await tx.exec(`CREATE TABLE floor_products AS
      SELECT p.id AS old_id, p2.id AS new_id FROM products p JOIN products p2 ON p2.tenant_id = '${to}' AND p2.sku = p.sku
      WHERE p.tenant_id = '${from}'`);
  });
  await db.exec('ANALYZE floor_ids, floor_products, orders, order_items, order_events, customers, products');
  const { chunks, lines } = await copyText(db, from, to, imp.id);
  await db.exec('CHECKPOINT');
  const seconds = await copyChunks(db, chunks, { orders: 'orders', items: 'order_items', events: 'order_events' });

  await db.exec(`
    CREATE TABLE keys_orders (LIKE orders INCLUDING DEFAULTS); ALTER TABLE keys_orders ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, order_code);
    CREATE TABLE keys_items (LIKE order_items INCLUDING DEFAULTS); ALTER TABLE keys_items ADD PRIMARY KEY (order_id, product_id);
    CREATE TABLE keys_events (LIKE order_events INCLUDING DEFAULTS); ALTER TABLE keys_events ADD PRIMARY KEY (id);
    CHECKPOINT`);
  const keysOnlySeconds = await copyChunks(db, chunks, { orders: 'keys_orders', items: 'keys_items', events: 'keys_events' });
  await db.exec('DROP TABLE keys_orders, keys_items, keys_events, floor_ids, floor_products');
  return { seconds, keysOnlySeconds, lines };
}
