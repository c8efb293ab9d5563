import { DomainError } from '../errors.js';
import { isUuid } from '../uuid.js';
import { inYears } from '../years.js';

/*
 * Keyset paging cursors over (timestamp, uuid), newest first, opaque to clients and checked in
 * full (anyone can edit one). The timestamp travels at the database's precision, microseconds, as
 * the database writes it (cursorInstantSql): a JavaScript Date keeps milliseconds, and a cursor
 * cut to them skipped every row of the page's last millisecond after its last row (orders placed
 * by one statement share one instant; pg-boss fails a batch of jobs at one instant).
 */

/** The column as the cursor carries it: UTC, microseconds. */
export const cursorInstantSql = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export interface KeysetPosition {
  at: string;
  id: string;
}

export const encodeCursor = (p: KeysetPosition): string => Buffer.from(JSON.stringify([p.at, p.id])).toString('base64url');

export function decodeCursor(cursor: string): KeysetPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof at === 'string' && INSTANT.test(at) && inYears(at) && typeof id === 'string' && isUuid(id)) return { at, id };
  } catch {
    // fall through
  }
  throw new DomainError('INVALID_DATA', 'cursor: not a cursor this API returned; start again without it.');
}
