import type { Hash } from 'node:crypto';
import { DomainError } from '../../platform/errors.js';
import { CsvReader, type CsvReaderStats, readCsv } from './csv-reader.js';
import { createRowMapper, type MappingOptions, type RowMapper } from './mapping.js';
import type { MappedLine } from './types.js';

/*
 * Bytes -> batches of mapped lines, in constant memory: what the database pipeline consumes.
 * The first non-blank record is the header. Counting rule, checked by the imports table:
 * linesRead = accepted + rejected, where linesRead counts data records (not the header, not
 * blank lines; a quoted field spanning several physical lines is one record).
 */

export interface ImportCounts extends CsvReaderStats {
  linesRead: number;
  accepted: number;
  rejected: number;
}

export const newImportCounts = (): ImportCounts => ({ bytesRead: 0, records: 0, blankLines: 0, linesRead: 0, accepted: 0, rejected: 0 });

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
  let headerLine = 0;
  let lines = 0;
  for await (const batch of readCsv(source, reader)) {
    let start = 0;
    if (mapper === null) {
      const header = batch[0];
      if (header === undefined) continue;
      if (header.error !== null) throw new DomainError('INVALID_DATA', `The header (line ${header.line}) cannot be read: ${header.error}.`);
      const created = createRowMapper(header.fields, options);
      if (!created.ok) throw new DomainError('INVALID_DATA', created.reason);
      mapper = created.value;
      headerLine = header.line;
      start = 1;
    }
    const out: MappedLine[] = new Array(batch.length - start);
    let accepted = 0;
    for (let i = start; i < batch.length; i++) {
      const mapped = mapper(batch[i]!);
      if (mapped.ok) accepted++;
      out[i - start] = mapped;
    }
    lines += out.length;
    counts.linesRead += out.length;
    counts.accepted += accepted;
    counts.rejected += out.length - accepted;
    Object.assign(counts, { bytesRead: reader.stats.bytesRead, records: reader.stats.records, blankLines: reader.stats.blankLines });
    if (out.length > 0) yield out;
  }
  // Bytes and blank lines after the last record (a skipped over-long tail, trailing empty lines)
  // come with no batch: count them too.
  Object.assign(counts, { bytesRead: reader.stats.bytesRead, records: reader.stats.records, blankLines: reader.stats.blankLines });
  if (mapper === null) throw new DomainError('INVALID_DATA', 'The file is empty: it needs a header line and at least one order line.');
  if (lines === 0) throw new DomainError('INVALID_DATA', `The file has a header (line ${headerLine}) but no order lines: add at least one order line below it.`);
}
