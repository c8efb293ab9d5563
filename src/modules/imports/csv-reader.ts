import { isUtf8 } from 'node:buffer';
import { DomainError } from '../../platform/errors.js';
import { type CsvRecord, type ParseContext, cutShort, overLong, parseRegion, tooLong } from './csv-parser.js';

/*
 * Streaming CSV reader: bytes in, batches of records out, in memory bounded by maxRecordBytes
 * plus one chunk whatever the input. It owns the byte-level concerns (BOM, UTF-8 validity,
 * chunk boundaries, over-long lines); csv-parser.ts owns the record rules.
 *
 * Counting: `records` are non-blank records (the header included); empty lines are counted in
 * `blankLines` and are neither accepted nor rejected.
 */

export type { CsvRecord } from './csv-parser.js';

export interface CsvReaderStats {
  bytesRead: number;
  records: number;
  blankLines: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const PIECE = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

export class CsvReader {
  readonly stats: CsvReaderStats = { bytesRead: 0, records: 0, blankLines: 0 };
  private readonly ctx: ParseContext;
  /** Bytes of the record not yet complete: a partial line, or a record inside an open quote. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private openQuote = false;
  /**
   * Byte whose arrival can complete the pending record (LF, or a quote when inside one); -1 when
   * the pending bytes themselves hold a quote not yet parsed, so every chunk must be parsed.
   */
  private waitFor = LF;
  /** Dropping the rest of a line already reported as too long. */
  private skipping = false;
  private started = false;

  constructor(options: { maxRecordBytes?: number } = {}) {
    this.ctx = { line: 1, maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, blankLines: 0, invalidUtf8: false };
  }

  push(chunk: Uint8Array): CsvRecord[] {
    const out: CsvRecord[] = [];
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.skipping) {
      const nl = buf.indexOf(LF);
      if (nl < 0) return this.count(buf.length, out);
      this.skipping = false;
      this.stats.bytesRead += nl + 1;
      this.ctx.line++;
      buf = buf.subarray(nl + 1);
    }
    // Cheap append when the new bytes cannot complete the pending record: no re-decoding, so a
    // long pending record costs linear time.
    if (this.started && this.waitFor >= 0 && buf.indexOf(this.waitFor) < 0) {
      this.keep([buf]);
      if (this.overCap()) this.overflow(out);
      return this.finish(out);
    }
    this.process(this.take(buf), false, out);
    return this.finish(out);
  }

  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (this.pendingBytes > 0) this.process(this.take(Buffer.alloc(0)), true, out);
    return this.finish(out);
  }

  private process(data: Buffer, final: boolean, out: CsvRecord[]): void {
    if (!this.started) {
      if (data.length < 3 && !final) return this.keep([data]);
      this.started = true;
      if (data[0] === 0xff && data[1] === 0xfe || data[0] === 0xfe && data[1] === 0xff) {
        throw new DomainError('INVALID_DATA', 'The file is UTF-16 encoded: save it as UTF-8 (in Excel, "CSV UTF-8") and import it again.');
      }
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
        this.stats.bytesRead += 3;
        data = data.subarray(3);
      }
    }
    const cut = final ? data.length : data.lastIndexOf(LF) + 1;
    if (cut === 0) {
      this.keep([data]);
      if (this.overCap()) this.overflow(out);
      return;
    }
    const region = data.subarray(0, cut);
    this.ctx.invalidUtf8 = !isUtf8(region);
    const text = region.toString('utf8');
    const consumed = parseRegion(text, 0, final, this.ctx, out);
    const offset = consumed === text.length ? cut : byteOffset(region, text, consumed, this.ctx.invalidUtf8);
    this.stats.bytesRead += offset;
    this.openQuote = offset < cut;
    this.waitFor = !this.openQuote ? LF : data.indexOf(QUOTE, cut) >= 0 ? -1 : QUOTE;
    if (offset < data.length) this.keep([data.subarray(offset)]);
    if (this.overCap()) this.overflow(out);
  }

  /**
   * The pending record is over the cap, measured as the parser measures a record: outside a quote,
   * a last CR may be its line end (the LF not yet come), which does not count.
   */
  private overCap(): boolean {
    const last = this.pending.at(-1);
    const lineEnd = !this.openQuote && last !== undefined && last[last.length - 1] === CR ? 1 : 0;
    return this.pendingBytes - lineEnd > this.ctx.maxRecordBytes;
  }

  /**
   * The pending record outgrew the cap. A record spanning lines (an open quote) costs only its
   * first line, reported; parsing resumes on the next. A single line is reported and skipped.
   */
  private overflow(out: CsvRecord[]): void {
    const data = this.take(Buffer.alloc(0));
    const nl = this.openQuote ? data.indexOf(LF) : -1;
    const max = this.ctx.maxRecordBytes;
    const line = this.ctx.line;
    this.openQuote = false;
    this.waitFor = LF;
    if (nl < 0) {
      out.push({ line, endLine: line, raw: cutShort(data.subarray(0, 1024).toString('utf8')), fields: [], error: tooLong(max) });
      this.skipping = true;
      this.stats.bytesRead += data.length;
      return;
    }
    const firstLine = data.subarray(0, data[nl - 1] === 0x0d ? nl - 1 : nl);
    const firstLineTooLong = firstLine.length > max;
    const raw = firstLineTooLong ? cutShort(firstLine.subarray(0, 1024).toString('utf8')) : firstLine.toString('utf8');
    out.push({ line, endLine: line, raw, fields: [], error: overLong(line, max, firstLineTooLong) });
    this.ctx.line++;
    this.stats.bytesRead += nl + 1;
    this.process(data.subarray(nl + 1), false, out);
  }

  private keep(parts: Buffer[]): void {
    for (const p of parts) {
      if (p.length === 0) continue;
      this.pending.push(p);
      this.pendingBytes += p.length;
    }
  }

  private take(buf: Buffer): Buffer {
    const data = this.pending.length === 0 ? buf : Buffer.concat([...this.pending, buf]);
    this.pending = [];
    this.pendingBytes = 0;
    return data;
  }

  private count(bytes: number, out: CsvRecord[]): CsvRecord[] {
    this.stats.bytesRead += bytes;
    return this.finish(out);
  }

  private finish(out: CsvRecord[]): CsvRecord[] {
    this.stats.records += out.length;
    this.stats.blankLines = this.ctx.blankLines;
    return out;
  }
}

/** Byte offset of text[consumed]; consumed always follows an LF, and LF bytes map 1:1. */
function byteOffset(region: Buffer, text: string, consumed: number, invalidUtf8: boolean): number {
  if (text.length === region.length && !invalidUtf8) return consumed; // all ASCII
  let lfs = 0;
  for (let i = text.indexOf('\n', consumed); i >= 0; i = text.indexOf('\n', i + 1)) lfs++;
  let b = region.length;
  // A negative offset would search from the end: stop at the start instead.
  for (let n = 0; n <= lfs && b >= 0; n++) b = b > 0 ? region.lastIndexOf(LF, b - 1) : -1;
  return b + 1;
}

/** Reads a byte stream into record batches, one batch per 64 KB piece. */
export async function* readCsv(
  source: AsyncIterable<Uint8Array | string>,
  reader: CsvReader = new CsvReader(),
): AsyncGenerator<CsvRecord[]> {
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (let at = 0; at < buf.length; at += PIECE) {
      const batch = reader.push(buf.subarray(at, at + PIECE));
      if (batch.length > 0) yield batch;
    }
  }
  const last = reader.end();
  if (last.length > 0) yield last;
}
