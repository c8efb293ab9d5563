import type { AppContext } from '../../context.js';
import { analyzeQuickly } from '../../platform/db/analyze.js';
import type { Executor } from '../../platform/db/types.js';
import { appendEvents } from '../orders/order.events.js';
import { enqueueReservation } from '../orders/order.create.js';
import { minorDigits } from '../../platform/money.js';
import { findImport, type ImportRow } from './import.repository.js';
import { findRejectedOrders, type OrderRejection } from './import.verdicts.js';

/*
 * Phase 2 of an import: staged lines -> customers, orders, order_items, order.created events and
 * reservation jobs, set-based on the server, one transaction per chunk of order codes.
 *
 * The codes are split into chunks once (import_chunks), then claimed FOR UPDATE SKIP LOCKED by
 * as many connections as run: each chunk's transaction does all of this or none of it, deletes
 * its staged lines and marks the chunk done, so a crash loses only the chunks in flight and
 * running it twice, or in two workers at once, handles each code once. Orders already in the
 * tenant (a re-import, an overlapping file) are left alone by ON CONFLICT DO NOTHING and counted
 * as already present.
 */

export const MATERIALIZE_CHUNK_ORDERS = 5_000;

/*
 * Per chunk transaction on PostgreSQL. jit: these statements are cheap but big, and their cost
 * estimates tripped JIT compilation that took seconds where execution takes milliseconds.
 * synchronous_commit: a chunk's work and its checkpoint commit together, so a chunk lost to a
 * server crash is simply done again on resume; not waiting for each flush doubles throughput on
 * slow disks. The last transaction of an import (the one that says "completed") stays durable.
 */
export const ASYNC_CHUNK = 'SET LOCAL jit = off; SET LOCAL synchronous_commit = off';

export interface MaterializeOptions {
  chunkOrders?: number;
  /** Runs at once (PostgreSQL only); materializeParallelism(ctx) by default. */
  parallel?: number;
  onProgress?: (imp: ImportRow) => void;
}

/** Lines of one chunk, minus the orders rejected: a fragment reused by the statements below. */
const CHUNK_LINES = `import_lines l WHERE l.import_id = $2 AND l.order_code > $3 AND l.order_code <= $4 AND NOT (l.order_code = ANY($5::text[] COLLATE "C"))`;

/**
 * The text of a line rejected with its order: as the file had it (raw_line, staged since 0023), or,
 * for a line staged before that, rebuilt as a native-format CSV line.
 */
function rawLineSql(zeroDigit: string, threeDigit: string): string {
  const q = (col: string) => `CASE WHEN ${col} ~ '[",\\r\\n]' THEN '"' || replace(${col}, '"', '""') || '"' ELSE ${col} END`;
  const digits = `(CASE WHEN l.currency = ANY(${zeroDigit}::text[]) THEN 0 WHEN l.currency = ANY(${threeDigit}::text[]) THEN 3 ELSE 2 END)`;
  const price = `CASE ${digits} WHEN 0 THEN l.unit_price::text
      ELSE (l.unit_price / (10 ^ ${digits})::bigint)::text || '.' || lpad((l.unit_price % (10 ^ ${digits})::bigint)::text, ${digits}, '0') END`;
  return `coalesce(l.raw_line, concat_ws(',', ${q('l.order_code')}, to_char(l.order_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      ${q('l.customer_email')}, ${q('l.customer_name')}, ${q('l.sku')}, ${q('l.product_name')}, l.quantity, ${price}, l.currency))`;
}

/** Rejects every staged line of these orders with its order's reason. Returns lines rejected. */
async function rejectOrders(tx: Executor, tenantId: string, importId: string, rejected: readonly OrderRejection[]): Promise<number> {
  if (rejected.length === 0) return 0;
  const { rows: currencies } = await tx.query<{ currency: string }>(
    `SELECT DISTINCT currency FROM import_lines WHERE import_id = $1 AND order_code = ANY($2::text[])`,
    [importId, rejected.map((r) => r.orderCode)],
  );
  const byDigits = (d: number) => currencies.map((c) => c.currency).filter((c) => minorDigits(c) === d);
  const { rowCount } = await tx.query(
    `INSERT INTO import_errors (tenant_id, import_id, line_no, field, reason, raw_line, order_code, scope, code)
     SELECT $1, $2, l.line_no, r.field, r.reason, ${rawLineSql('$7', '$8')}, l.order_code, NULL, r.code
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS r(order_code, field, reason, code)
     JOIN import_lines l ON l.import_id = $2 AND l.order_code = r.order_code COLLATE "C"`,
    [
      tenantId, importId, rejected.map((r) => r.orderCode), rejected.map((r) => r.field), rejected.map((r) => r.reason),
      rejected.map((r) => r.code), byDigits(0), byDigits(3),
    ],
  );
  return rowCount;
}

/** --create-products: SKUs of this chunk's accepted orders missing from the catalog, from their first line. */
async function createMissingProducts(tx: Executor, params: unknown[], importId: string, stock: number): Promise<void> {
  await tx.query(
    `WITH first AS (
       SELECT DISTINCT ON (l.sku) l.sku, l.product_name, l.unit_price, l.currency FROM ${CHUNK_LINES}
       ORDER BY l.sku, l.line_no
     ), inserted AS (
       INSERT INTO products (tenant_id, sku, name, price, currency, stock_on_hand)
       SELECT $1, f.sku, f.product_name, f.unit_price, f.currency, $6 FROM first f
       WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.tenant_id = $1 AND p.sku = f.sku)
       ON CONFLICT (tenant_id, sku) DO NOTHING
       RETURNING id, stock_on_hand
     )
     INSERT INTO inventory_adjustments (tenant_id, product_id, delta, kind, reason)
     SELECT $1, id, stock_on_hand, 'initial', $7 FROM inserted WHERE stock_on_hand > 0`,
    [...params, stock, `initial stock (product created by import ${importId})`],
  );
}

interface ChunkOutcome {
  createdIds: string[];
  acceptedOrders: number;
  acceptedLines: number;
}

/**
 * Customers first, in their own statement: a customer inserted by a concurrent import is
 * visible to the next statement's snapshot, never to this one's.
 */
async function insertOrders(tx: Executor, params: unknown[]): Promise<ChunkOutcome> {
  await tx.query(
    `INSERT INTO customers (tenant_id, email, name)
     SELECT DISTINCT ON (l.customer_email) $1, l.customer_email, l.customer_name FROM ${CHUNK_LINES}
       AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = $1 AND c.email = l.customer_email)
     ORDER BY l.customer_email, l.line_no
     ON CONFLICT (tenant_id, email) DO NOTHING`,
    params,
  );
  const { rows } = await tx.query<ChunkOutcome>(
    `WITH lines AS (
       SELECT l.* FROM ${CHUNK_LINES}
     ), items AS (
       -- The first line's product name: the least of line number (zero-padded) and name. An
       -- ordered array_agg sorted each of the chunk's ~18,000 groups on its own (PostgreSQL 15).
       SELECT order_code, sku, substr(min(lpad(line_no::text, 19, '0') || product_name COLLATE "C"), 20) AS name,
              sum(quantity)::int AS quantity, min(unit_price) AS unit_price,
              min(customer_email) AS customer_email, min(currency) AS currency, min(order_date) AS placed_at
       FROM lines GROUP BY order_code, sku
     ), heads AS (
       -- From the items, not the lines: one sort of the lines less. An accepted order's lines
       -- share one customer, one currency and, per SKU, one price (findRejectedOrders).
       SELECT order_code, min(customer_email) AS customer_email, min(currency) AS currency,
              min(placed_at) AS placed_at, sum(quantity::bigint * unit_price) AS total, count(*)::int AS n
       FROM items GROUP BY order_code
     ), created AS (
       INSERT INTO orders (tenant_id, order_code, customer_id, currency, total, items_count, placed_at, source, import_id)
       SELECT $1, h.order_code, c.id, h.currency, h.total, h.n, h.placed_at, 'import', $2
       FROM heads h JOIN customers c ON c.tenant_id = $1 AND c.email = h.customer_email
       ORDER BY h.order_code
       ON CONFLICT (tenant_id, order_code) DO NOTHING
       RETURNING id, order_code
     ), created_items AS (
       INSERT INTO order_items (tenant_id, order_id, product_id, sku, name, quantity, unit_price, line_total)
       SELECT $1, o.id, p.id, i.sku, CASE WHEN i.name = '' THEN p.name ELSE i.name END, i.quantity, i.unit_price, i.quantity * i.unit_price
       FROM created o JOIN items i ON i.order_code = o.order_code COLLATE "C"
       JOIN products p ON p.tenant_id = $1 AND p.sku = i.sku
     ), created_events AS (
       INSERT INTO order_events (tenant_id, order_id, type, to_status, data)
       SELECT $1, id, 'order.created', 'pending', $6::jsonb FROM created
     )
     SELECT coalesce((SELECT array_agg(id) FROM created), '{}') AS "createdIds",
            (SELECT count(*)::int FROM heads) AS "acceptedOrders",
            (SELECT count(*)::int FROM lines) AS "acceptedLines"`,
    [...params, JSON.stringify({ source: 'import', importId: params[1] })],
  );
  return rows[0]!;
}

/**
 * Splits the staged order codes into chunks of `chunkOrders` codes, once, under the import's row
 * lock (a second planner finds the plan made and does nothing). The lower bound is the old
 * single-chunk watermark, for an import that was materializing when 0011 was applied.
 */
async function planChunks(db: Pick<AppContext, 'db'>['db'], tenantId: string, importId: string, chunkOrders: number): Promise<void> {
  await db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.exec(ASYNC_CHUNK);
    const imp = await findImport(tx, tenantId, importId, { lock: true });
    if (!imp || imp.chunksTotal !== null || imp.phase !== 'materializing' || imp.status !== 'running') return;
    const { rowCount } = await tx.query(
      `INSERT INTO import_chunks (import_id, chunk_no, lo, hi)
       SELECT $1, chunk + 1, coalesce(lag(hi) OVER (ORDER BY chunk), $2), hi FROM (
         SELECT chunk, max(order_code) AS hi FROM (
           SELECT order_code, (row_number() OVER (ORDER BY order_code) - 1) / $3 AS chunk
           FROM (SELECT DISTINCT order_code FROM import_lines WHERE import_id = $1 AND order_code > $2) codes
         ) numbered GROUP BY chunk
       ) chunks`,
      [importId, imp.materializedThrough ?? '', chunkOrders],
    );
    await tx.query(`UPDATE imports SET chunks_total = $3 WHERE tenant_id = $1 AND id = $2`, [tenantId, importId, rowCount]);
  });
}

/** 'chunk': did one; 'busy': none left to claim, but others are in flight; 'done': the import is finished (or stopped). */
export type ChunkResult = { kind: 'chunk'; imp: ImportRow } | { kind: 'busy' } | { kind: 'done'; imp: ImportRow };

/**
 * Claims the next chunk no other transaction holds (FOR UPDATE SKIP LOCKED) and materializes it,
 * or finishes the import when every chunk is done. Any number of these can run at once, in this
 * process or others: each chunk commits once, with its done flag, whoever claims it.
 */
export async function materializeChunk(
  ctx: Pick<AppContext, 'db' | 'queue'>,
  tenantId: string,
  importId: string,
  chunkOrders = MATERIALIZE_CHUNK_ORDERS,
): Promise<ChunkResult> {
  const current = await findImport(ctx.db, tenantId, importId);
  if (!current) throw new Error(`import ${importId} vanished while materializing`);
  if (current.phase !== 'materializing' || current.status !== 'running') return { kind: 'done', imp: current };
  if (current.chunksTotal === null) await planChunks(ctx.db, tenantId, importId, chunkOrders);
  const { options } = current;

  const claimed = await ctx.db.transaction(async (tx): Promise<ChunkResult | null> => {
    if (ctx.db.kind === 'postgres') await tx.exec(ASYNC_CHUNK);
    const { rows: [chunk] } = await tx.query<{ chunkNo: number; lo: string; hi: string }>(
      `SELECT chunk_no AS "chunkNo", lo, hi FROM import_chunks WHERE import_id = $1 AND NOT done
       ORDER BY chunk_no LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [importId],
    );
    if (!chunk) return null;
    const { lo, hi } = chunk;
    const { rows: codeRows } = await tx.query<{ code: string }>(
      `SELECT DISTINCT order_code AS code FROM import_lines WHERE import_id = $1 AND order_code > $2 AND order_code <= $3`,
      [importId, lo, hi],
    );
    const codes = codeRows.map((r) => r.code);
    const rejected = await findRejectedOrders(tx, tenantId, importId, { lo, hi, codes }, !options.createProducts);
    const linesRejected = await rejectOrders(tx, tenantId, importId, rejected);
    const params = [tenantId, importId, lo, hi, rejected.map((r) => r.orderCode)];
    if (options.createProducts) await createMissingProducts(tx, params, importId, options.defaultStock);
    // Orders, their items and their order.created events, in one statement.
    const outcome = await insertOrders(tx, params);
    // Accepted orders enter the workflow in the transaction that created them, in batches.
    await enqueueReservation(ctx, tx, tenantId, outcome.createdIds);
    await tx.query(`DELETE FROM import_lines WHERE import_id = $1 AND order_code > $2 AND order_code <= $3`, [importId, lo, hi]);
    await tx.query(`UPDATE import_chunks SET done = true WHERE import_id = $1 AND chunk_no = $2`, [importId, chunk.chunkNo]);
    // Last, so the import's row lock is held only from here to the commit.
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE imports SET lines_accepted = lines_accepted + $3, lines_rejected = lines_rejected + $4,
         orders_created = orders_created + $5, orders_existing = orders_existing + $6, orders_rejected = orders_rejected + $7
       WHERE tenant_id = $1 AND id = $2 AND phase = 'materializing' AND status = 'running' RETURNING id`,
      [tenantId, importId, outcome.acceptedLines, linesRejected, outcome.createdIds.length,
        outcome.acceptedOrders - outcome.createdIds.length, rejected.length],
    );
    if (rows.length !== 1) throw new Error(`import ${importId} stopped materializing while chunk ${chunk.chunkNo} was being written`);
    return { kind: 'chunk', imp: (await findImport(tx, tenantId, importId))! };
  });
  if (claimed) return claimed;

  // Nothing to claim: finish if every chunk is done, under the row lock so only one run does it.
  return ctx.db.transaction(async (tx) => {
    const imp = await findImport(tx, tenantId, importId, { lock: true });
    if (!imp) throw new Error(`import ${importId} vanished while materializing`);
    if (imp.phase !== 'materializing' || imp.status !== 'running') return { kind: 'done', imp };
    if (imp.chunksTotal === null || imp.chunksDone < imp.chunksTotal) return { kind: 'busy' };
    return { kind: 'done', imp: await finishImport(tx, imp) };
  });
}

/**
 * The last step, in one transaction: every line is accounted for (the table's CHECK refuses a
 * completed import otherwise), the staging rows are gone, and an import.finished event says so.
 */
async function finishImport(tx: Executor, imp: ImportRow): Promise<ImportRow> {
  await tx.query(`DELETE FROM import_lines WHERE import_id = $1`, [imp.id]);
  await tx.query(
    `UPDATE imports SET status = 'completed', phase = 'completed', finished_at = now() WHERE tenant_id = $1 AND id = $2`,
    [imp.tenantId, imp.id],
  );
  const done = (await findImport(tx, imp.tenantId, imp.id))!;
  const counts = {
    linesRead: done.linesRead, linesAccepted: done.linesAccepted, linesRejected: done.linesRejected,
    ordersCreated: done.ordersCreated, ordersExisting: done.ordersExisting, ordersRejected: done.ordersRejected,
  };
  await appendEvents(tx, imp.tenantId, [{ orderId: null, type: 'import.finished', data: { importId: imp.id, counts } }]);
  return done;
}

/**
 * Fresh planner statistics while an import grows the tables, outside any chunk's transaction (so
 * its lock is held only while it runs). Planned while orders was tiny, the per-statement
 * reference checks and the chunk statements pick sequential scans that get slower with every
 * chunk (a 40,000-line file took minutes instead of seconds). PGlite has no autovacuum at all,
 * and PostgreSQL's comes a minute late: so after chunks 1, 2, 4, 8 ... (logarithmic cost), and
 * once more at the end, for whatever reads the new rows next (the workflow, kpi verify). The
 * refreshes along the way sample little (analyzeQuickly); the last one samples fully.
 */
async function refreshStatistics(ctx: MaterializeCtx, chunk: number, done: boolean): Promise<void> {
  const tables = ['orders', 'order_items', 'customers', 'products'];
  try {
    if (done) await ctx.db.exec(`ANALYZE ${tables.join(', ')}`);
    else if ((chunk & (chunk - 1)) === 0) await ctx.db.transaction((tx) => analyzeQuickly(tx, tables));
  } catch (err) {
    // Statistics only make the next statements faster: an ANALYZE that lost a lock to another
    // session (an operator's ANALYZE or LOCK TABLE in a transaction, in another order than ours:
    // deadlock_detected, lock_not_available) is skipped, and the next refresh or autovacuum
    // catches up. Any other error (the connection is gone) still fails the run.
    const code = (err as { code?: unknown }).code;
    if (code !== '40P01' && code !== '55P03') throw err;
    ctx.logger?.warn({ err, chunk, done }, 'skipped a statistics refresh that lost a lock; the import goes on');
  }
}

/**
 * Connections materializing one import at once on PostgreSQL, in a process that runs nothing
 * else (`ordersys import`: it drives the workflow only once the orders exist). Each chunk is one
 * backend's work (the statements are set-based but not parallel plans), so a second connection
 * uses the second core: 1M lines ingest ~1.45x faster. A process that also runs the workflow's
 * workers uses one: there the second core is theirs, and taking it made a 1M-line pipeline run
 * 5 % slower (56.1 -> 59.2 s). PGlite has one connection; a second runner would only wait.
 */
export const MATERIALIZE_PARALLEL = 2;

type MaterializeCtx = Pick<AppContext, 'db' | 'queue'> & Partial<Pick<AppContext, 'role' | 'logger'>>;

export function materializeParallelism(ctx: MaterializeCtx): number {
  return ctx.db.kind === 'postgres' && ctx.role === 'cli' ? MATERIALIZE_PARALLEL : 1;
}

export interface RunChunksOptions {
  chunkOrders?: number;
  parallel?: number;
  /** Stop claiming chunks after this time (epoch ms; each runner does at least one); the result is then 'budget'. */
  until?: number;
  /** Chunks this import had done before this call: the statistics cadence counts over the whole import. */
  chunksBefore?: number;
  onChunk?: (imp: ImportRow) => void;
}

/** Runs `parallel` chunk loops until the import is done, others hold the last chunks, or the time is up. */
export async function runChunks(
  ctx: MaterializeCtx,
  tenantId: string,
  importId: string,
  opts: RunChunksOptions = {},
): Promise<{ kind: 'done'; imp: ImportRow } | { kind: 'busy' | 'budget'; chunks: number }> {
  const parallel = ctx.db.kind === 'postgres' ? Math.max(1, opts.parallel ?? materializeParallelism(ctx)) : 1;
  let chunks = opts.chunksBefore ?? 0;
  let finished: ImportRow | undefined;
  let outOfTime = false;
  let failed = false;
  const runner = async (): Promise<void> => {
    while (!finished && !failed) {
      const r = await materializeChunk(ctx, tenantId, importId, opts.chunkOrders).catch((err: unknown) => {
        failed = true; // the other runners stop after their chunk
        throw err;
      });
      if (r.kind === 'busy') return;
      if (r.kind === 'done') {
        finished = r.imp;
        return;
      }
      opts.onChunk?.(r.imp);
      await refreshStatistics(ctx, ++chunks, false);
      // Checked after a chunk: a spent budget still does one, so every slice makes progress.
      if (opts.until !== undefined && Date.now() >= opts.until) {
        outOfTime = true;
        return;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: parallel }, runner));
  const rejected = results.find((r) => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  // Only an import that this run finished has new rows worth analyzing at the end.
  if (finished) {
    if (chunks > (opts.chunksBefore ?? 0)) await refreshStatistics(ctx, chunks, true);
    return { kind: 'done', imp: finished };
  }
  return { kind: outOfTime ? 'budget' : 'busy', chunks };
}

const BUSY_POLL_MS = 250;

/** Runs phase 2 to the end (or returns at once if it is already done). Safe to run twice, and beside other runs. */
export async function materializeImport(
  ctx: MaterializeCtx,
  tenantId: string,
  importId: string,
  opts: MaterializeOptions = {},
): Promise<ImportRow> {
  let chunksBefore = 0;
  for (;;) {
    const r = await runChunks(ctx, tenantId, importId, { ...opts, chunksBefore, onChunk: opts.onProgress });
    if (r.kind === 'done') {
      opts.onProgress?.(r.imp);
      return r.imp;
    }
    // The last chunks are held by another run (a job, another process): wait for them to commit,
    // or for their holder's connection to die and release them.
    chunksBefore = r.chunks;
    await new Promise((resolve) => setTimeout(resolve, BUSY_POLL_MS));
  }
}
