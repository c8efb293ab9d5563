/*
 * RFC 4180 record parser over decoded text. The reader (csv-reader.ts) hands it text that ends
 * on a line feed (or at end of input); this file only decides where records start and end.
 *
 * Rules a user can rely on:
 * - LF ends a record; a CR just before it is dropped. A lone CR elsewhere is data.
 * - An empty line is skipped and counted in `blankLines`; it is not a record.
 * - A quote only opens a quoted field at the start of a field; elsewhere it is a literal.
 * - A broken quoted record (unclosed, or a lone quote inside it) never costs more than the line
 *   it started on: that line is reported, and parsing resumes on the next physical line.
 */

export interface CsvRecord {
  /** Physical line (1-based) where the record starts. */
  line: number;
  /** Physical line where it ends: greater than `line` when a quoted field holds newlines. */
  endLine: number;
  /** Exact source text without the line terminator (cut short for over-long records). */
  raw: string;
  fields: string[];
  /** Why the record could not be read; `fields` is then empty or best effort. */
  error: string | null;
}

export interface ParseContext {
  /** Physical line number of the next record. */
  line: number;
  maxRecordBytes: number;
  blankLines: number;
  /** Set by the reader when the text held invalid UTF-8 (decoded as U+FFFD). */
  invalidUtf8: boolean;
}

const NONE = 0x7fffffff;

interface SearchCache {
  comma: number;
}
const RAW_PREVIEW = 200;

export const preview = (text: string): string =>
  text.length > RAW_PREVIEW ? `${text.slice(0, RAW_PREVIEW)}…` : text;

/** The shown start of a line that was too long to read: always marked as cut. */
export const cutShort = (text: string): string => `${text.slice(0, RAW_PREVIEW)}…`;

export const tooLong = (max: number): string => `line longer than ${max} bytes: not read`;

/** Same wording whether the reader or the parser notices, so chunk sizes never change a report. */
export const overLong = (line: number, max: number, firstLineTooLong: boolean): string =>
  firstLineTooLong ? tooLong(max) : `quoted record starting on line ${line} is longer than ${max} bytes (an unclosed quote?)`;

/** UTF-8 size of text[start, end), computed only when the cheap char count cannot decide. */
function exceeds(text: string, start: number, end: number, max: number): boolean {
  if (end - start <= max / 3) return false; // 3 bytes per UTF-16 unit at most
  return Buffer.byteLength(text.slice(start, end), 'utf8') > max;
}

function record(ctx: ParseContext, raw: string, fields: string[], endLine: number, error: string | null): CsvRecord {
  if (error === null && ctx.invalidUtf8 && raw.includes('\uFFFD')) {
    error = 'invalid UTF-8 byte sequence (shown as \uFFFD): save the file as UTF-8';
  }
  return { line: ctx.line, endLine, raw, fields, error };
}

/**
 * Parses the records of text[pos..]. Returns where the unconsumed text starts: the start of a
 * record still inside an open quote (only when `final` is false), otherwise text.length.
 */
export function parseRegion(text: string, pos: number, final: boolean, ctx: ParseContext, out: CsvRecord[]): number {
  const len = text.length;
  const cache: SearchCache = { comma: -1 };
  let quote = -1;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) {
      if (!final) return pos;
      nl = len;
    }
    // One forward search per quote, not per line: keeps quote-free files linear.
    if (quote < pos) {
      quote = text.indexOf('"', pos);
      if (quote < 0) quote = NONE;
    }
    if (quote > nl) {
      const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end === pos) ctx.blankLines++;
      else if (exceeds(text, pos, end, ctx.maxRecordBytes)) {
        out.push(record(ctx, cutShort(text.slice(pos, end)), [], ctx.line, tooLong(ctx.maxRecordBytes)));
      } else {
        out.push(record(ctx, text.slice(pos, end), splitFields(text, pos, end, cache), ctx.line, null));
      }
      ctx.line++;
      pos = nl + 1;
      continue;
    }
    const next = parseQuotedRecord(text, pos, nl, final, ctx, out, cache);
    if (next < 0) return pos;
    pos = next;
  }
  return len;
}

/** Fields of a quote-free line, sliced straight from the region (faster than slice + split). */
function splitFields(text: string, start: number, end: number, cache: SearchCache): string[] {
  const fields: string[] = [];
  let comma = cache.comma;
  while (true) {
    if (comma < start) {
      comma = text.indexOf(',', start);
      if (comma < 0) comma = NONE;
    }
    if (comma >= end) break;
    fields.push(text.slice(start, comma));
    start = comma + 1;
  }
  fields.push(text.slice(start, end));
  cache.comma = comma;
  return fields;
}

/** Reports only the first physical line of a broken record and resumes after it. */
function resumeAfterFirstLine(
  text: string, start: number, firstNl: number, reason: string, ctx: ParseContext, out: CsvRecord[], cache: SearchCache,
): number {
  cache.comma = -1; // parsing goes back to an earlier position: the cached comma may be past it
  const end = firstNl > start && text.charCodeAt(firstNl - 1) === 13 ? firstNl - 1 : firstNl;
  const cut = exceeds(text, start, end, ctx.maxRecordBytes);
  out.push({ line: ctx.line, endLine: ctx.line, raw: cut ? cutShort(text.slice(start, end)) : text.slice(start, end), fields: [], error: reason });
  ctx.line++;
  return firstNl + 1;
}

function countNewlines(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', start); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Slow path for a record that holds a quote. Returns the next position, or -1 if incomplete. */
function parseQuotedRecord(
  text: string, start: number, firstNl: number, final: boolean, ctx: ParseContext, out: CsvRecord[], cache: SearchCache,
): number {
  const len = text.length;
  const fields: string[] = [];
  let error: string | null = null;
  let i = start;
  let recordEnd: number; // index of the terminating LF (or len)
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let seg = i + 1;
      let close: number;
      for (;;) {
        close = text.indexOf('"', seg);
        if (close < 0) {
          if (!final) return -1;
          const why = `quote opened on line ${ctx.line} is never closed`;
          return resumeAfterFirstLine(text, start, firstNl, why, ctx, out, cache);
        }
        if (text.charCodeAt(close + 1) !== 34) break;
        value += text.slice(seg, close + 1); // doubled quote -> one quote
        seg = close + 2;
      }
      value += text.slice(seg, close);
      const after = text.charCodeAt(close + 1);
      i = close + 1;
      if (after === 44) {
        fields.push(value);
        i++;
        continue;
      }
      const atEnd = i >= len || after === 10 || (after === 13 && (i + 1 >= len || text.charCodeAt(i + 1) === 10));
      if (atEnd) {
        fields.push(value);
        recordEnd = after === 13 ? i + 1 : i;
        break;
      }
      // A lone quote inside a quoted field: keep the rest of the field as literal text.
      error ??= `quote in a quoted field on line ${ctx.line} is not doubled`;
      const rest = scanUnquoted(text, i, len, cache);
      fields.push(value + '"' + text.slice(i, rest.fieldEnd));
      if (rest.comma) { i = rest.end + 1; continue; }
      recordEnd = rest.end;
      break;
    }
    const rest = scanUnquoted(text, i, len, cache);
    fields.push(text.slice(i, rest.fieldEnd));
    if (rest.comma) { i = rest.end + 1; continue; }
    recordEnd = rest.end;
    break;
  }
  if (recordEnd >= len && !final) return -1;
  const multiLine = recordEnd > firstNl;
  const rawEnd = recordEnd > start && text.charCodeAt(recordEnd - 1) === 13 ? recordEnd - 1 : recordEnd;
  // Size before a lone quote: the reader, fed in small chunks, reports the size before it can
  // see the quote, and the report must not depend on where the chunks were cut.
  const tooBig = exceeds(text, start, rawEnd, ctx.maxRecordBytes);
  if (multiLine && (error !== null || tooBig)) {
    const firstLineTooLong = exceeds(text, start, firstNl, ctx.maxRecordBytes);
    const why = !tooBig
      ? `quote opened on line ${ctx.line} is not closed properly (a quote inside a quoted field must be doubled)`
      : overLong(ctx.line, ctx.maxRecordBytes, firstLineTooLong);
    return resumeAfterFirstLine(text, start, firstNl, why, ctx, out, cache);
  }
  const endLine = multiLine ? ctx.line + countNewlines(text, start, recordEnd) : ctx.line;
  if (exceeds(text, start, rawEnd, ctx.maxRecordBytes)) {
    out.push(record(ctx, cutShort(text.slice(start, rawEnd)), [], endLine, tooLong(ctx.maxRecordBytes)));
  } else {
    out.push(record(ctx, text.slice(start, rawEnd), fields, endLine, error));
  }
  ctx.line = endLine + 1;
  return recordEnd + 1;
}

/** An unquoted field runs to the next comma or LF; a CR before the LF is not part of it. */
function scanUnquoted(text: string, i: number, len: number, cache: SearchCache): { end: number; fieldEnd: number; comma: boolean } {
  let nl = text.indexOf('\n', i);
  if (nl < 0) nl = len;
  // Cached like the quote search: a one-column file must not rescan the text for every field.
  if (cache.comma < i) {
    cache.comma = text.indexOf(',', i);
    if (cache.comma < 0) cache.comma = NONE;
  }
  const comma = cache.comma;
  if (comma < nl) return { end: comma, fieldEnd: comma, comma: true };
  const fieldEnd = nl > i && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  return { end: nl, fieldEnd, comma: false };
}
