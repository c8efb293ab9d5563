/*
 * The years a date may have anywhere it enters (API bodies, filters, cursors, imported files):
 * PostgreSQL has no year 0 (JavaScript and zod accept '0000-01-01', the database then fails),
 * and an order date centuries away is a typo, not an order.
 */

export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;
export const YEARS_RULE = `must be in the years ${MIN_YEAR}-${MAX_YEAR}`;

const LOWEST = Date.UTC(MIN_YEAR, 0, 1);
const BEYOND = Date.UTC(MAX_YEAR + 1, 0, 1);

/** A date (YYYY-MM-DD, as UTC midnight) or an ISO timestamp whose UTC instant lies in the years. */
export function inYears(text: string): boolean {
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  return ms >= LOWEST && ms < BEYOND;
}
