import type { Hash } from 'node:crypto';
import { DomainError } from '../../platform/errors.js';
import { headerHint } from './columns.js';
import { CsvReader, type CsvReaderStats, type CsvRecord, readCsv } from './csv-reader.js';
import { createRowMapper, type MappingOptions, type RowMapper } from './mapping.js';
import type { MappedLine } from './types.js';

/*
 * Bytes -> batches of mapped lines, in constant memory: what the database pipeline consumes.
 * The first non-blank record is the header. Counting rule, checked by the imports table:
 * linesRead = accepted + rejected, where linesRead counts data records (not the header, not
 * blank lines; a quoted field spanning several physical lines is one record).
 *
 * Blank lines: empty lines, and records whose every field is empty or whitespace (the ',,,,,,,,'
 * padding rows a spreadsheet exports below its data). Both are counted in `blankLines` and are
 * neither accepted nor rejected; `records` counts the other records, header included.
 */

export interface ImportCounts extends CsvReaderStats {
  linesRead: number;
  accepted: number;
  rejected: number;
}

export const newImportCounts = (): ImportCounts => ({ bytesRead: 0, records: 0, blankLines: 0, linesRead: 0, accepted: 0, rejected: 0 });

/**
 * A readable record with nothing in it: a padding row. Asked only of the header and of rejected
 * records (every mapper rejects a record without an order code), so accepted lines never pay.
 */
function isEmptyRecord(record: CsvRecord): boolean {
  if (record.error !== null || record.fields.length === 0) return false;
  for (const f of record.fields) if (f.length > 0 && f.trim().length > 0) return false;
  return true;
}

/** Bytes through a hash and a size limit on their way to the parser (or only to the hash). */
export async function* measured(source: AsyncIterable<Uint8Array | string>, hash: Hash | null, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    total += buf.length;
    if (total > maxBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `The file is larger than the import limit of ${maxBytes} bytes (IMPORT_MAX_BYTES); split it into several imports.`);
    }
    hash?.update(buf);
    yield buf;
  }
}

/**
 * Throws DomainError INVALID_DATA when the file has no header, the header lacks a column, or no
 * line follows the header: nothing in such a file can be imported, so it is a failure of the
 * file, not of lines. The last is found only at the end, so a caller that recorded the import
 * must fail it (an import of nothing must not read as `completed`).
 */
export async function* mapCsv(
  source: AsyncIterable<Uint8Array | string>,
  options: MappingOptions & { maxRecordBytes?: number } = {},
  counts: ImportCounts = newImportCounts(),
): AsyncGenerator<MappedLine[]> {
  const reader = new CsvReader({ maxRecordBytes: options.maxRecordBytes });
  let mapper: RowMapper | null = null;
  let header: CsvRecord | undefined;
  let lines = 0;
  let padding = 0;
  const tally = () =>
    Object.assign(counts, { bytesRead: reader.stats.bytesRead, records: reader.stats.records - padding, blankLines: reader.stats.blankLines + padding });
  for await (const batch of readCsv(source, reader)) {
    let start = 0;
    if (mapper === null) {
      while (start < batch.length && isEmptyRecord(batch[start]!)) start++;
      padding += start;
      header = batch[start];
      if (header === undefined) {
        tally();
        continue;
      }
      if (header.error !== null) {
        const hint = header.raw.includes('\r') ? headerHint([header.raw]) : '';
        throw new DomainError('INVALID_DATA', `The header (line ${header.line}) cannot be read: ${header.error}.${hint}`);
      }
      const created = createRowMapper(header.fields, options);
      if (!created.ok) throw new DomainError('INVALID_DATA', created.reason);
      mapper = created.value;
      start++;
    }
    const out: MappedLine[] = new Array(batch.length - start);
    let n = 0;
    let accepted = 0;
    for (let i = start; i < batch.length; i++) {
      const record = batch[i]!;
      const mapped = mapper(record);
      if (mapped.ok) accepted++;
      else if (isEmptyRecord(record)) {
        padding++;
        continue;
      }
      out[n++] = mapped;
    }
    out.length = n;
    lines += n;
    counts.linesRead += n;
    counts.accepted += accepted;
    counts.rejected += n - accepted;
    tally();
    if (n > 0) yield out;
  }
  // Bytes and blank lines after the last record (a skipped over-long tail, trailing empty lines)
  // come with no batch: count them too.
  tally();
  if (mapper === null || header === undefined) throw new DomainError('INVALID_DATA', 'The file is empty: it needs a header line and at least one order line.');
  if (lines === 0) {
    throw new DomainError('INVALID_DATA', `The file has a header (line ${header.line}) but no order lines: add at least one order line below it.${headerHint(header.fields)}`);
  }
}
