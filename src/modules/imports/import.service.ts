import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { DomainError } from '../../platform/errors.js';
import { mapCsv, measured, newImportCounts } from './import-stream.js';
import { replayUpload } from './import.idempotency.js';
import { materializeImport, type MaterializeOptions } from './import.materialize.js';
import {
  findImport, findImportByIdempotencyKey, findUnfinishedImport, insertImport, markImportFailed,
  type ImportOptions, type ImportRow, type NewImport,
} from './import.repository.js';
import { runOverruled, stageLines, type StageOptions, type StageResult } from './import.staging.js';
import type { MappingOptions } from './mapping.js';
import './import.jobs.js';

/*
 * The two ways in: `ordersys import FILE` (reads, then materializes in this process; a re-run
 * of the same file resumes where the last run stopped) and POST /imports (reads while the upload
 * streams, then leaves phase 2 to the imports_materialize job).
 */

type Ctx = Pick<AppContext, 'db' | 'queue'> & Partial<Pick<AppContext, 'role'>>;
type Source = AsyncIterable<Uint8Array | string>;

export interface ReadPhaseOptions extends StageOptions {
  /** Fails the read with PAYLOAD_TOO_LARGE past this many bytes. */
  maxBytes?: number;
}

/**
 * Phase 1 to its end. The last chunk's transaction moves the import to 'materializing' and counts
 * the order codes that have no accepted line at all (each is a rejected order phase 2 never sees).
 */
async function readPhase(
  ctx: Ctx,
  imp: ImportRow,
  source: Source,
  mapping: MappingOptions,
  opts: ReadPhaseOptions,
  onFinish?: (tx: Executor) => Promise<void>,
): Promise<void> {
  const counts = newImportCounts();
  const hash = imp.fileSha256 === null ? createHash('sha256') : null;
  const batches = mapCsv(measured(source, hash, opts.maxBytes ?? Number.MAX_SAFE_INTEGER), mapping, counts);
  const finish = async (tx: Executor, result: StageResult) => {
    // Fresh statistics first: with stale ones (PGlite has no autovacuum) the planner takes a
    // million staged rows for a handful and picks nested loops that turn this and phase 2 quadratic.
    await tx.exec('ANALYZE import_lines, import_errors');
    const { rowCount } = await tx.query(
      `UPDATE imports SET phase = 'materializing', bytes_read = $3, file_sha256 = coalesce(file_sha256, $4),
         orders_rejected = orders_rejected + (
           SELECT count(*) FROM (SELECT DISTINCT order_code FROM import_errors WHERE import_id = $2 AND order_code IS NOT NULL) e
           WHERE NOT EXISTS (SELECT 1 FROM import_lines l WHERE l.import_id = $2 AND l.order_code = e.order_code COLLATE "C"))
       WHERE tenant_id = $1 AND id = $2 AND phase = 'reading' AND status = 'running'`,
      [imp.tenantId, imp.id, result.bytesRead, hash?.digest('hex') ?? null],
    );
    if (rowCount !== 1) throw await runOverruled(tx, imp.tenantId, imp.id);
    await onFinish?.(tx);
  };
  await stageLines(ctx.db, imp.tenantId, imp.id, batches, counts, imp, finish, opts);
}

const isFileProblem = (err: unknown) => err instanceof DomainError && (err.code === 'INVALID_DATA' || err.code === 'PAYLOAD_TOO_LARGE');

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface FileImportOptions {
  tenantId: string;
  path: string;
  options: ImportOptions;
  mapping: MappingOptions;
  read?: ReadPhaseOptions;
  materialize?: MaterializeOptions;
  /** Called once the import row is known: new, or the unfinished one being resumed. */
  onStart?: (imp: ImportRow, resumed: boolean) => void;
}

/**
 * Imports a file in this process. A run that was killed (or failed on the database) left its
 * import 'running' with its checkpoints: running the same file with the same options again
 * picks it up. A file the import cannot read at all (no header, too large) fails the import.
 */
export async function importFile(ctx: Ctx, f: FileImportOptions): Promise<ImportRow> {
  const [sha256, info] = await Promise.all([sha256OfFile(f.path), stat(f.path)]);
  let imp = await findUnfinishedImport(ctx.db, f.tenantId, sha256, f.options);
  const resumed = imp !== undefined;
  if (!imp) {
    const fresh: NewImport = { fileName: basename(f.path), fileSha256: sha256, options: f.options, source: 'cli', bytesTotal: info.size };
    imp = (await insertImport(ctx.db, f.tenantId, fresh))!;
  }
  f.onStart?.(imp, resumed);
  if (imp.phase === 'reading') {
    try {
      await readPhase(ctx, imp, createReadStream(f.path, { highWaterMark: 1 << 20 }), f.mapping, f.read ?? {});
    } catch (err) {
      if (isFileProblem(err)) await markImportFailed(ctx.db, f.tenantId, imp.id, (err as Error).message);
      throw err;
    }
  }
  return materializeImport(ctx, f.tenantId, imp.id, f.materialize);
}

export interface UploadOptions {
  tenantId: string;
  fileName: string;
  options: ImportOptions;
  mapping: MappingOptions;
  source: Source;
  bytesTotal: number | null;
  idempotencyKey?: string;
  read?: ReadPhaseOptions;
}

/**
 * Phase 1 while the upload streams; its last transaction enqueues phase 2. A repeat of an
 * Idempotency-Key answers with the import of the first use, or refuses: see import.idempotency.ts.
 */
export async function importUpload(ctx: Ctx, u: UploadOptions): Promise<{ imp: ImportRow; replayed: boolean }> {
  const key = u.idempotencyKey;
  const prior = key ? await findImportByIdempotencyKey(ctx.db, u.tenantId, key) : undefined;
  const fresh: NewImport = { fileName: u.fileName, fileSha256: null, options: u.options, source: 'http', bytesTotal: u.bytesTotal, idempotencyKey: key };
  const imp = prior ? undefined : await insertImport(ctx.db, u.tenantId, fresh);
  if (!imp) {
    // The key is taken (insertImport refuses only a taken key): by an earlier upload, or by a
    // concurrent one that got there first.
    const taken = prior ?? (await findImportByIdempotencyKey(ctx.db, u.tenantId, key!));
    if (!taken) throw new DomainError('CONFLICT', 'An upload with this Idempotency-Key just failed; retry.');
    return { imp: await replayUpload(ctx.db, taken, { ...u, idempotencyKey: key!, maxBytes: u.read?.maxBytes }), replayed: true };
  }
  try {
    await readPhase(ctx, imp, u.source, u.mapping, u.read ?? {}, (tx) =>
      ctx.queue.send(tx, 'imports_materialize', { tenantId: u.tenantId, importId: imp.id }),
    );
  } catch (err) {
    await markImportFailed(ctx.db, u.tenantId, imp.id, err instanceof Error ? err.message : String(err));
    throw err;
  }
  return { imp: (await findImport(ctx.db, u.tenantId, imp.id))!, replayed: false };
}
