import type { Executor } from '../../platform/db/types.js';
import { DomainError } from '../../platform/errors.js';
import { pageImportErrors, type ErrorLine, type ImportRow } from './import.repository.js';

/*
 * The rejected lines of an import as CSV (line,field,reason,raw), one row per problem, in file
 * order: the body of GET /imports/:id/errors and the output of `ordersys imports errors`.
 */

const HEADER = 'line,field,reason,raw\r\n';
const ERROR_PAGE = 5000;

const csv = (v: string | number | null): string => {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const csvRow = (e: ErrorLine): string => `${e.line},${csv(e.field)},${csv(e.reason)},${csv(e.raw)}\r\n`;

/** An import whose report retention deleted has none to give: say so rather than send an empty one. */
export function reportKept(imp: Pick<ImportRow, 'id' | 'errorsPrunedAt'>): void {
  if (imp.errorsPrunedAt) {
    throw new DomainError(
      'NOT_FOUND',
      `The error report of import ${imp.id} was deleted on ${imp.errorsPrunedAt.toISOString().slice(0, 10)} (RETAIN_IMPORT_ERRORS_DAYS); its counts remain.`,
      { id: imp.id },
    );
  }
}

/** The report, page by page: memory stays flat however many lines were rejected. */
export async function* errorReport(ex: Executor, importId: string): AsyncGenerator<string> {
  yield HEADER;
  let after = { line: 0, id: 0 };
  for (;;) {
    const page = await pageImportErrors(ex, importId, after, ERROR_PAGE);
    if (page.length === 0) return;
    yield page.map(csvRow).join('');
    const last = page[page.length - 1]!;
    after = { line: last.line, id: last.id };
  }
}
