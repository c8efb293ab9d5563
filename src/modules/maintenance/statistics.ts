import type { AppContext } from '../../context.js';
import { analyzeQuickly } from '../../platform/db/analyze.js';
import type { Database } from '../../platform/db/types.js';
import { PeriodicRunner } from '../../platform/periodic.js';
import { foldStatusTallies } from '../orders/status-tallies.js';

/*
 * Planner statistics for the tables the workflow grows by the thousand per second. With stale
 * ones the planner costs a backlog of 20,000 queued notifications as 15 rows and scans all of
 * them for every batch of 100 ids (measured: 1.8 ms per notification, a sixth of the database's
 * time in a 1,000,000-line run); PostgreSQL's autovacuum looks once a minute at best, and PGlite
 * has no autovacuum at all. So a worker analyzes a hot table whenever it has grown or changed by
 * a fifth since its last analysis: on a growing table that is a logarithmic number of passes,
 * each with a small sample (analyzeQuickly).
 */

export const HOT_TABLES = [
  'orders', 'order_items', 'order_events', 'customers', 'stock_reservations', 'payments', 'refunds',
  'gateway_events', 'notifications', 'notification_attempts', 'webhook_deliveries',
] as const;

const CHECK_INTERVAL_MS = 10_000;
/** Across processes, one analyzes at a time; the others skip their turn. */
const ANALYZE_LOCK = 727_274_011;

interface TableState {
  table: string;
  pages: number;
  analyzedPages: number;
  analyzedRows: number;
  modified: number;
}

/**
 * Tables whose statistics no longer describe them: the heap grew by a fifth (and 8 pages) since
 * the last analysis, or a fifth of its rows changed (sessions report changes at most once a
 * second, so some are counted after the analysis that saw them: such a table is analyzed once
 * more). relpages/reltuples are what the planner believes; pg_relation_size is what is there.
 */
export async function staleTables(db: Pick<Database, 'query'>): Promise<string[]> {
  const { rows } = await db.query<TableState>(
    `SELECT c.relname AS table, (pg_relation_size(c.oid) / current_setting('block_size')::int)::int AS pages,
            greatest(c.relpages, 0) AS "analyzedPages", greatest(c.reltuples, 0)::bigint AS "analyzedRows",
            coalesce(s.n_mod_since_analyze, 0)::bigint AS modified
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
     LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
     WHERE c.relname = ANY($1::text[]) AND c.relkind = 'r'
     ORDER BY c.relname`,
    [HOT_TABLES],
  );
  return rows
    .filter((r) => r.pages > r.analyzedPages * 1.2 + 8 || Number(r.modified) > Math.max(1000, Number(r.analyzedRows) * 0.2))
    .map((r) => r.table);
}

/** Analyzes the stale hot tables, unless another process is at it. Returns the tables analyzed. */
export async function refreshHotStatistics(db: Database): Promise<string[]> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS ok`, [ANALYZE_LOCK]);
    if (!rows[0]!.ok) return [];
    const stale = await staleTables(tx);
    await analyzeQuickly(tx, stale);
    return stale;
  });
}

/*
 * PGlite has no autovacuum either: the space of deleted and updated rows (staged import lines,
 * pg-boss's finished jobs, notifications and deliveries that moved on, folded tallies) was never
 * reused, and the data directory grew by ~190 bytes per imported line for ever. So the keeper
 * vacuums, on PGlite only, every table (pg-boss's included) whose dead rows are more than 1,000
 * and a fifth of its live ones. PostgreSQL's autovacuum does this there.
 */
export async function vacuumDeadRows(db: Database): Promise<string[]> {
  if (db.kind !== 'pglite') return [];
  const { rows } = await db.query<{ name: string }>(
    `SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS name FROM pg_stat_user_tables
     WHERE n_dead_tup > greatest(1000, n_live_tup / 5) ORDER BY 1`,
  );
  // VACUUM runs outside any transaction, one table at a time.
  for (const r of rows) await db.exec(`VACUUM ${r.name}`);
  return rows.map((r) => r.name);
}

/** Vacuums (PGlite) once every this many statistics checks: once a minute. */
const VACUUM_EVERY_CHECKS = 6;

const keepers = new WeakMap<AppContext, PeriodicRunner>();

/**
 * Every 10 s: analyze what went stale, and fold the orders-per-status tallies (status-tallies.ts);
 * every minute on PGlite, vacuum what deleted rows left behind.
 */
export function startStatisticsKeeper(ctx: AppContext): void {
  let checks = 0;
  const keeper = new PeriodicRunner(ctx.logger, async () => {
    const analyzed = await refreshHotStatistics(ctx.db);
    if (analyzed.length > 0) ctx.logger.debug({ analyzed }, 'refreshed planner statistics');
    const folded = await foldStatusTallies(ctx.db);
    const vacuumed = ++checks % VACUUM_EVERY_CHECKS === 0 ? await vacuumDeadRows(ctx.db) : [];
    if (vacuumed.length > 0) ctx.logger.debug({ vacuumed }, 'vacuumed dead rows (PGlite has no autovacuum)');
    return analyzed.length + folded + vacuumed.length;
  });
  keepers.set(ctx, keeper);
  keeper.start(CHECK_INTERVAL_MS);
}

export async function stopStatisticsKeeper(ctx: AppContext): Promise<void> {
  await keepers.get(ctx)?.stop();
  keepers.delete(ctx);
}
