import type { Database, Executor } from '../../platform/db/types.js';
import { DomainError } from '../../platform/errors.js';
import type { ImportCounts } from './import-stream.js';
import { ASYNC_CHUNK } from './import.materialize.js';
import type { MappedLine } from './types.js';

/*
 * Phase 1 of an import: mapped lines -> import_lines (accepted) and import_errors (rejected),
 * by COPY, one transaction per chunk. The chunk's transaction also advances the import's
 * checkpoint, so after a crash the chunk is either all in (and skipped on resume) or all out.
 * While one chunk is being written, the next is parsed: at most one chunk in flight.
 */

/*
 * Lines per chunk transaction. Small enough that a chunk's strings die young: at 20,000 they
 * outlived two scavenges, were promoted, and old space grew lazily to a 331-397 MB peak for a
 * 1,000,000-line file; at 5,000 the peak was ~284 MB at the same speed (COPY and commit cost per
 * chunk are a few milliseconds). Since each staged line also carries its text from the file
 * (0023), 5,000 peaked at 312-318 MB; 2,500 at 270-289 MB, at the same speed.
 */
export const STAGE_CHUNK_LINES = 2_500;
/** Raw lines are kept for the error report up to this many characters. */
export const RAW_LINE_MAX = 10_000;

const LINE_COLUMNS =
  'tenant_id, import_id, line_no, order_code, order_date, customer_email, customer_name, sku, product_name, quantity, unit_price, currency, raw_line';
const ERROR_COLUMNS = 'tenant_id, import_id, line_no, field, reason, raw_line, order_code, scope, code';
const NEEDS_QUOTES = /[",\r\n]/;
const NUL = /\0/g;

/** One CSV field for COPY ... WITH (FORMAT csv): unquoted empty would be NULL. */
export const csvField = (v: string): string => (v === '' ? '""' : NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const quoted = (v: string): string => `"${v.replace(/"/g, '""')}"`;

export interface StagedChunk {
  lines: string;
  errors: string;
  /** Records in the chunk, accepted + rejected. */
  read: number;
  staged: number;
  rejected: number;
  /** Highest line number in the chunk: the checkpoint once it commits. */
  lastLine: number;
  /** Bytes of the file consumed through the end of this chunk. */
  bytesRead: number;
}

/** Accumulates COPY text for one chunk; `take` hands it over and starts the next. */
export class ChunkBuilder {
  private lines: string[] = [];
  private errors: string[] = [];
  private read = 0;
  private staged = 0;
  private rejected = 0;
  private lastLine = 0;
  private readonly prefix: string;

  constructor(tenantId: string, importId: string) {
    this.prefix = `${tenantId},${importId},`;
  }

  get size(): number {
    return this.read;
  }

  add(m: MappedLine): void {
    this.read++;
    this.lastLine = m.line;
    // PostgreSQL text cannot hold NUL: such a line could never be stored, so it is rejected.
    if (m.ok && m.raw.indexOf('\0') < 0) {
      const r = m.row;
      this.staged++;
      // The line's text too: if its order is rejected in phase 2, the report shows the line as the file had it.
      this.lines.push(
        `${this.prefix}${m.line},${csvField(r.orderCode)},${r.orderDate},${csvField(r.customerEmail)},${csvField(r.customerName)},` +
          `${csvField(r.sku)},${csvField(r.productName)},${r.quantity},${r.unitPrice},${r.currency},${csvField(kept(m.raw))}\n`,
      );
      return;
    }
    this.rejected++;
    const raw = quoted(clean(kept(m.raw)));
    if (m.ok) {
      const code = quoted(clean(m.row.orderCode));
      this.errors.push(`${this.prefix}${m.line},line,${quoted('the line contains a NUL character, which cannot be stored')},${raw},${code},order,invalid\n`);
      return;
    }
    const code = m.orderCode === null ? '' : quoted(clean(m.orderCode));
    for (const e of m.errors) {
      this.errors.push(`${this.prefix}${m.line},${quoted(clean(e.field))},${quoted(clean(e.reason))},${raw},${code},${m.scope},${quoted(e.code)}\n`);
    }
  }

  take(bytesRead: number): StagedChunk {
    const chunk = {
      lines: this.lines.join(''), errors: this.errors.join(''), read: this.read, staged: this.staged,
      rejected: this.rejected, lastLine: this.lastLine, bytesRead,
    };
    this.lines = [];
    this.errors = [];
    this.read = this.staged = this.rejected = 0;
    return chunk;
  }
}

const kept = (raw: string): string => (raw.length > RAW_LINE_MAX ? `${raw.slice(0, RAW_LINE_MAX)}…` : raw);
const clean = (v: string): string => (v.indexOf('\0') < 0 ? v : v.replace(NUL, '\uFFFD'));

/** Why a run of phase 1 may not go on: the import failed (an upload given up) or another run moved it. */
export async function runOverruled(ex: Executor, tenantId: string, importId: string): Promise<DomainError> {
  const { rows: [imp] } = await ex.query<{ status: string; error: string | null }>(
    `SELECT status, error FROM imports WHERE tenant_id = $1 AND id = $2`,
    [tenantId, importId],
  );
  if (imp?.status === 'failed') return new DomainError('CONFLICT', `Import ${importId} has failed (${imp.error ?? 'no reason recorded'}); this run stops.`);
  return new DomainError('CONFLICT', `Import ${importId} was advanced by another run of the same file; this run stops.`);
}

/**
 * Writes one chunk and advances the checkpoint from `expectedCheckpoint`. The guarded UPDATE runs
 * first: it locks the import row, and if another process already moved the checkpoint (two runs
 * of one file at once) this one stops instead of staging lines twice.
 */
export async function writeChunk(tx: Executor, tenantId: string, importId: string, expectedCheckpoint: number, chunk: StagedChunk): Promise<void> {
  const { rowCount } = await tx.query(
    `UPDATE imports SET checkpoint_line = $4, lines_read = lines_read + $5, lines_staged = lines_staged + $6,
       lines_rejected = lines_rejected + $7, bytes_read = $8, progressed_at = now()
     WHERE tenant_id = $1 AND id = $2 AND checkpoint_line = $3 AND phase = 'reading' AND status = 'running'`,
    [tenantId, importId, expectedCheckpoint, chunk.lastLine, chunk.read, chunk.staged, chunk.rejected, chunk.bytesRead],
  );
  if (rowCount !== 1) throw await runOverruled(tx, tenantId, importId);
  if (chunk.lines.length > 0) await tx.copyFrom(`COPY import_lines (${LINE_COLUMNS}) FROM STDIN WITH (FORMAT csv)`, chunk.lines);
  if (chunk.errors.length > 0) await tx.copyFrom(`COPY import_errors (${ERROR_COLUMNS}) FROM STDIN WITH (FORMAT csv)`, chunk.errors);
}

export interface StageOptions {
  chunkLines?: number;
  /** Test hook: runs after each committed chunk (throw to simulate a crash). */
  afterChunk?: (chunksWritten: number) => void | Promise<void>;
  onProgress?: (p: { linesRead: number; bytesRead: number }) => void;
}

export interface StageResult {
  checkpointLine: number;
  bytesRead: number;
}

/**
 * Streams batches into the staging tables, skipping lines <= checkpointLine (already staged by
 * an earlier run: parsing them again is cheap, writing them again would double them).
 * `finish` runs in the transaction of the last chunk, so "phase 1 done" commits with it.
 */
export async function stageLines(
  db: Database,
  tenantId: string,
  importId: string,
  batches: AsyncIterable<MappedLine[]>,
  counts: ImportCounts,
  start: { checkpointLine: number; linesRead: number },
  finish: (tx: Executor, result: StageResult) => Promise<void>,
  opts: StageOptions = {},
): Promise<StageResult> {
  const chunkLines = opts.chunkLines ?? STAGE_CHUNK_LINES;
  const builder = new ChunkBuilder(tenantId, importId);
  let checkpoint = start.checkpointLine;
  let linesRead = start.linesRead;
  let written = 0;
  let inFlight: Promise<void> | undefined;

  const commit = async (chunk: StagedChunk, last: boolean): Promise<void> => {
    const expected = checkpoint;
    const next = chunk.read > 0 ? chunk.lastLine : checkpoint;
    await db.transaction(async (tx) => {
      // See ASYNC_CHUNK: the checkpoint commits with the chunk, so a chunk lost to a server crash is
      // read again on resume. The last transaction (phase 1 done) stays durable.
      if (db.kind === 'postgres' && !last) await tx.exec(ASYNC_CHUNK);
      if (chunk.read > 0) await writeChunk(tx, tenantId, importId, expected, chunk);
      if (last) await finish(tx, { checkpointLine: next, bytesRead: chunk.bytesRead });
    });
    checkpoint = next;
    linesRead += chunk.read;
    written++;
    opts.onProgress?.({ linesRead, bytesRead: chunk.bytesRead });
    await opts.afterChunk?.(written);
  };

  try {
    for await (const batch of batches) {
      for (const m of batch) if (m.line > start.checkpointLine) builder.add(m);
      if (builder.size >= chunkLines) {
        const chunk = builder.take(counts.bytesRead);
        await inFlight;
        inFlight = commit(chunk, false);
        // Awaited before the next chunk or at the end; until then a failure must not be "unhandled".
        inFlight.catch(() => {});
      }
    }
  } catch (err) {
    // The file failed mid-way: let the chunk being written settle before the caller reacts.
    await inFlight?.catch(() => {});
    throw err;
  }
  await inFlight;
  const lastChunk = builder.take(counts.bytesRead);
  await commit(lastChunk, true);
  return { checkpointLine: checkpoint, bytesRead: counts.bytesRead };
}
