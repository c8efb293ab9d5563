/** Type OIDs we parse the same way on PGlite and pg, so repositories see one shape. */
export const OID = { int8: 20, date: 1082, numeric: 1700 } as const;

/**
 * Money and counters are bigint in SQL. JavaScript numbers hold integers exactly up to 2^53
 * (90 trillion in major units); beyond that we refuse rather than round.
 */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} exceeds the safe integer range`);
  return n;
}

/** Dates stay 'YYYY-MM-DD' strings: a Date would shift them by the process time zone. */
export const parseDate = (value: string): string => value;
