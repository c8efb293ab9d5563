import type { Executor } from '../../platform/db/types.js';
import type { FieldMap, PresetName } from './mapping.js';

/*
 * The imports table: one row per run of a file, holding its options, its phase, the checkpoints
 * that make it resumable and the counters that account for every line.
 */

export type ImportStatus = 'pending' | 'running' | 'completed' | 'failed';
export type ImportPhase = 'reading' | 'materializing' | 'completed';

/** What the import was asked to do; stored so a resumed or queued phase does the same. */
export interface ImportOptions {
  preset: PresetName;
  map?: FieldMap;
  createProducts: boolean;
  /** Stock of products created by the import (createProducts only). */
  defaultStock: number;
}

export interface ImportRow {
  id: string;
  tenantId: string;
  fileName: string;
  fileSha256: string | null;
  format: string;
  options: ImportOptions;
  status: ImportStatus;
  phase: ImportPhase;
  source: 'cli' | 'http';
  bytesTotal: number | null;
  bytesRead: number;
  linesRead: number;
  linesStaged: number;
  linesAccepted: number;
  linesRejected: number;
  ordersCreated: number;
  ordersExisting: number;
  ordersRejected: number;
  checkpointLine: number;
  /** Order codes <= this one were materialized before import_chunks existed (0011); the plan starts after it. */
  materializedThrough: string | null;
  /** Phase 2's chunks: planned (null until phase 2 starts), and done (counted in import_chunks). */
  chunksTotal: number | null;
  chunksDone: number;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When retention deleted its error report (RETAIN_IMPORT_ERRORS_DAYS); null while it is kept. */
  errorsPrunedAt: Date | null;
}

export const IMPORT_COLUMNS = `id, tenant_id AS "tenantId", file_name AS "fileName", file_sha256 AS "fileSha256", format, options,
  status, phase, source, bytes_total AS "bytesTotal", bytes_read AS "bytesRead", lines_read AS "linesRead",
  lines_staged AS "linesStaged", lines_accepted AS "linesAccepted", lines_rejected AS "linesRejected",
  orders_created AS "ordersCreated", orders_existing AS "ordersExisting", orders_rejected AS "ordersRejected",
  checkpoint_line AS "checkpointLine", materialized_through AS "materializedThrough",
  chunks_total AS "chunksTotal",
  (SELECT count(*)::int FROM import_chunks c WHERE c.import_id = imports.id AND c.done) AS "chunksDone", error,
  created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt", errors_pruned_at AS "errorsPrunedAt"`;

export interface NewImport {
  fileName: string;
  fileSha256: string | null;
  options: ImportOptions;
  source: 'cli' | 'http';
  bytesTotal: number | null;
  idempotencyKey?: string;
}

/** Returns undefined when the idempotency key is already taken (the caller reads that import). */
export async function insertImport(ex: Executor, tenantId: string, imp: NewImport): Promise<ImportRow | undefined> {
  const { rows } = await ex.query<ImportRow>(
    `INSERT INTO imports (tenant_id, file_name, file_sha256, format, options, status, phase, source, bytes_total, idempotency_key, started_at)
     VALUES ($1, $2, $3, $4, $5, 'running', 'reading', $6, $7, $8, now())
     ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING ${IMPORT_COLUMNS}`,
    [tenantId, imp.fileName, imp.fileSha256, imp.options.preset, JSON.stringify(imp.options), imp.source, imp.bytesTotal, imp.idempotencyKey ?? null],
  );
  return rows[0];
}

/**
 * The import, with `lock` under its row lock. The lock is taken by a statement of its own: a
 * SELECT ... FOR UPDATE that waited for another transaction returns that transaction's row, but
 * computes chunksDone (a subquery) from the snapshot it took before waiting, which can miss the
 * chunks committed meanwhile. The read after the lock takes a new snapshot.
 */
export async function findImport(ex: Executor, tenantId: string, id: string, opts: { lock?: boolean } = {}): Promise<ImportRow | undefined> {
  if (opts.lock) await ex.query(`SELECT 1 FROM imports WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, id]);
  const { rows } = await ex.query<ImportRow>(`SELECT ${IMPORT_COLUMNS} FROM imports WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0];
}

export async function findImportByIdempotencyKey(ex: Executor, tenantId: string, key: string): Promise<ImportRow | undefined> {
  const { rows } = await ex.query<ImportRow>(`SELECT ${IMPORT_COLUMNS} FROM imports WHERE tenant_id = $1 AND idempotency_key = $2`, [tenantId, key]);
  return rows[0];
}

/** The CLI's unfinished import of this very file with these very options, if a run was cut short. */
export async function findUnfinishedImport(ex: Executor, tenantId: string, sha256: string, options: ImportOptions): Promise<ImportRow | undefined> {
  const { rows } = await ex.query<ImportRow>(
    `SELECT ${IMPORT_COLUMNS} FROM imports
     WHERE tenant_id = $1 AND file_sha256 = $2 AND status = 'running' AND source = 'cli' AND options = $3::jsonb
     ORDER BY created_at DESC LIMIT 1`,
    [tenantId, sha256, JSON.stringify(options)],
  );
  return rows[0];
}

export async function listImports(ex: Executor, tenantId: string, limit: number): Promise<ImportRow[]> {
  const { rows } = await ex.query<ImportRow>(
    `SELECT ${IMPORT_COLUMNS} FROM imports WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
    [tenantId, limit],
  );
  return rows;
}

/**
 * A failed import cannot be resumed: it is marked failed, gives its idempotency key back (so the
 * client can retry with the same key) and its staged lines are deleted. Returns whether it was
 * still unfinished; `idleFor` fails it only if no chunk of lines has committed for that long.
 */
export async function markImportFailed(
  ex: Executor,
  tenantId: string,
  id: string,
  error: string,
  opts: { idleFor?: string } = {},
): Promise<boolean> {
  const { rows } = await ex.query<{ n: number }>(
    `WITH failed AS (
       UPDATE imports SET status = 'failed', error = $3, idempotency_key = NULL, finished_at = now()
       WHERE tenant_id = $1 AND id = $2 AND status <> 'completed' AND status <> 'failed'
         AND ($4::interval IS NULL OR coalesce(progressed_at, started_at, created_at) < now() - $4::interval)
       RETURNING id
     ), dropped AS (
       DELETE FROM import_lines WHERE import_id IN (SELECT id FROM failed)
     )
     SELECT count(*)::int AS n FROM failed`,
    [tenantId, id, error.slice(0, 2000), opts.idleFor ?? null],
  );
  return rows[0]!.n === 1;
}

export interface ErrorLine {
  id: number;
  line: number;
  field: string | null;
  reason: string;
  raw: string;
}

/** Rejected lines in file order, keyset-paged by (line_no, id). */
export async function pageImportErrors(ex: Executor, importId: string, after: { line: number; id: number }, limit: number): Promise<ErrorLine[]> {
  const { rows } = await ex.query<ErrorLine>(
    `SELECT id, line_no AS line, field, reason, raw_line AS raw FROM import_errors
     WHERE import_id = $1 AND (line_no, id) > ($2, $3) ORDER BY line_no, id LIMIT $4`,
    [importId, after.line, after.id, limit],
  );
  return rows;
}

/**
 * Rejected lines per kind of reason, each line counted once, under its first reason (the first
 * its mapper found; a line rejected with its order has only the order's): the counts add up to
 * the lines rejected. The error report still lists every problem of a line.
 */
export async function rejectionsByKind(ex: Executor, importId: string): Promise<Record<string, number>> {
  const { rows } = await ex.query<{ code: string; n: number }>(
    `SELECT code, count(*)::int AS n FROM (
       SELECT DISTINCT ON (line_no) code FROM import_errors WHERE import_id = $1 ORDER BY line_no, id
     ) first GROUP BY code ORDER BY n DESC, code`,
    [importId],
  );
  return Object.fromEntries(rows.map((r) => [r.code, r.n]));
}

/** Statuses of the orders this import created. */
export async function importOrderStatuses(ex: Executor, tenantId: string, importId: string): Promise<Record<string, number>> {
  const { rows } = await ex.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM orders WHERE tenant_id = $1 AND import_id = $2 GROUP BY status ORDER BY status`,
    [tenantId, importId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
