import type { Result } from '../../platform/errors.js';
import type { CsvRecord } from './csv-parser.js';
import type { LineError, MappedLine } from './types.js';

/*
 * Finding columns by header name, and the checks every format shares before its own:
 * unreadable records and records whose field count does not match the header.
 */

/** 'Order Code', 'order_code', 'ORDER-CODE' and 'ordercode' all name the same column. */
export const normalizeHeader = (name: string): string => name.trim().toLowerCase().replace(/[\s_-]+/g, '');

const LISTED_HEADERS = 20;
const LISTED_HEADER_CHARS = 40;

/**
 * The header's names for an error message, bounded: the first 20, each cut at 40 characters. A
 * file that is not CSV at all (a 10 MB first line, a binary) must not become a 10 MB message
 * stored with the import and returned by GET /imports/:id.
 */
export function listHeaders(header: readonly string[]): string {
  const names = header.slice(0, LISTED_HEADERS).map((h) => {
    const name = h.trim().replaceAll('\r', '\\r');
    return name.length > LISTED_HEADER_CHARS ? `${name.slice(0, LISTED_HEADER_CHARS)}…` : name;
  });
  const more = header.length - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
}

/**
 * Why a header that lacks columns may be a file in another shape, or ''. Only ever called on a
 * header that failed: a CR inside a field means CR-only line ends (the parser splits on LF, so
 * the whole file reads as one line); one field holding ';' or a tab means another delimiter.
 */
export function headerHint(header: readonly string[]): string {
  if (header.some((h) => h.includes('\r'))) {
    return ' The file uses CR-only line endings (old Mac style), so it reads as one line: save it with LF or CRLF line endings and import it again.';
  }
  const only = header.length === 1 ? header[0]! : '';
  const delimiter = only.includes(';') ? "';'" : only.includes('\t') ? 'tabs' : null;
  if (delimiter === null) return '';
  return ` The file seems delimited by ${delimiter}: ordersys reads comma-separated files; save it as CSV with commas (in Excel, "CSV UTF-8 (Comma delimited)").`;
}

/**
 * Column index for each wanted name (keys are the caller's names, values the header names to
 * look for). Names every missing column at once and lists the headers found.
 */
export function findColumns<K extends string>(header: readonly string[], wanted: Record<K, string>): Result<Record<K, number>> {
  const index = new Map<string, number>();
  const repeated: string[] = [];
  header.forEach((name, i) => {
    const key = normalizeHeader(name);
    if (key === '') return;
    if (index.has(key)) repeated.push(name.trim());
    else index.set(key, i);
  });
  const found = {} as Record<K, number>;
  const missing: string[] = [];
  const ambiguous: string[] = [];
  for (const [key, name] of Object.entries(wanted) as [K, string][]) {
    const i = index.get(normalizeHeader(name));
    if (i === undefined) missing.push(name === key ? name : `${name} (for ${key})`);
    else found[key] = i;
    if (repeated.some((r) => normalizeHeader(r) === normalizeHeader(name))) ambiguous.push(name);
  }
  const headers = listHeaders(header);
  if (missing.length > 0) {
    const what = missing.length === 1 ? 'column' : 'columns';
    return { ok: false, reason: `The file has no ${what} ${missing.join(', ')}. Its header has: ${headers}.${headerHint(header)}` };
  }
  if (ambiguous.length > 0) return { ok: false, reason: `The header names ${ambiguous.join(', ')} more than once: keep one column each.` };
  return { ok: true, value: found };
}

/** The field at `i` of a record that could not be parsed, read up to its first quote. */
function bestEffortField(raw: string, i: number): string | null {
  const quote = raw.indexOf('"');
  const parts = (quote < 0 ? raw : raw.slice(0, quote)).split(',');
  if (quote >= 0 || raw.endsWith('…')) parts.pop(); // the field holding the quote or the cut is unreliable
  const value = parts[i]?.trim();
  return value ? value : null;
}

/**
 * Rejects a record that cannot be mapped field by field. The order code is still recovered when
 * possible, so a broken line rejects its order instead of the order going in without it.
 */
export function checkShape(record: CsvRecord, headerLength: number, orderColumn: number): MappedLine | null {
  let error: LineError | null = null;
  if (record.error !== null) error = { field: 'line', reason: record.error, code: 'unreadable' };
  else if (record.fields.length !== headerLength && !onlyEmptyExtras(record.fields, headerLength)) {
    const reason = `line has ${record.fields.length} fields but the header has ${headerLength}: a value holding a comma must be in double quotes`;
    error = { field: 'line', reason, code: 'field_count' };
  }
  if (error === null) return null;
  const fromFields = record.fields[orderColumn]?.trim();
  const orderCode = fromFields ? fromFields : bestEffortField(record.raw, orderColumn);
  return { ok: false, line: record.line, raw: record.raw, orderCode, scope: 'order', errors: [error] };
}

/** Spreadsheets often leave trailing empty columns: 'a,b,,' still fits a 2-column header. */
function onlyEmptyExtras(fields: string[], headerLength: number): boolean {
  if (fields.length < headerLength) return false;
  for (let i = headerLength; i < fields.length; i++) if ((fields[i] ?? '').trim() !== '') return false;
  return true;
}

/** Trimmed field; checkShape has made sure it exists. trim() only when an edge is blank. */
export function field(record: CsvRecord, i: number): string {
  const value = record.fields[i] ?? '';
  const n = value.length;
  return n > 0 && (value.charCodeAt(0) <= 32 || value.charCodeAt(n - 1) <= 32) ? value.trim() : value;
}

/**
 * What every format's mapper shares: find its columns once, then refuse an unreadable or ragged
 * record (keeping its order code) before the format's own mapping sees it.
 */
export function columnMapper<K extends string>(
  header: readonly string[],
  wanted: Record<K, string>,
  orderColumn: NoInfer<K>,
  map: (record: CsvRecord, columns: Record<K, number>) => MappedLine,
): Result<(record: CsvRecord) => MappedLine> {
  const columns = findColumns(header, wanted);
  if (!columns.ok) return columns;
  const c = columns.value;
  const width = header.length;
  const order = c[orderColumn];
  return { ok: true, value: (record) => checkShape(record, width, order) ?? map(record, c) };
}
