import type { Result } from '../../platform/errors.js';
import { MAX_YEAR, MIN_YEAR } from '../../platform/years.js';

/*
 * Order dates become 'YYYY-MM-DDTHH:MM:SSZ' (UTC). Checked by hand rather than with Date.parse,
 * which accepts '2024-02-30' (as March 1st) and reads zone-less text in the machine's zone.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

const ISO_EXAMPLE = 'is not a date like 2024-05-31 or 2024-05-31T14:30:00Z';

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

function build(y: number, mo: number, d: number, h: number, mi: number, s: number, offsetMin: number): Result<string> {
  if (y < MIN_YEAR || y > MAX_YEAR) return { ok: false, reason: `has a year outside ${MIN_YEAR}-${MAX_YEAR}` };
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return { ok: false, reason: 'is not a real calendar date' };
  if (h > 23 || mi > 59 || s > 59) return { ok: false, reason: 'has a time of day that does not exist' };
  if (offsetMin === 0) return { ok: true, value: `${y}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}Z` };
  const utc = new Date(Date.UTC(y, mo - 1, d, h, mi, s) - offsetMin * 60_000);
  return { ok: true, value: `${utc.toISOString().slice(0, 19)}Z` };
}

const digit = (text: string, i: number): number => text.charCodeAt(i) - 48;
const num2 = (text: string, i: number): number => {
  const a = digit(text, i);
  const b = digit(text, i + 1);
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

/**
 * Fast path for the form this system writes, 'YYYY-MM-DDTHH:MM:SSZ': checked char by char and
 * returned as is, which is most of the per-line cost of a million-line import otherwise.
 */
function isCanonical(t: string): boolean {
  if (t[4] !== '-' || t[7] !== '-' || t[10] !== 'T' || t[13] !== ':' || t[16] !== ':' || t[19] !== 'Z') return false;
  const hi = num2(t, 0);
  const lo = num2(t, 2);
  const mo = num2(t, 5);
  const d = num2(t, 8);
  if (hi < 0 || lo < 0 || mo < 1 || mo > 12 || d < 1) return false;
  const y = hi * 100 + lo;
  if (y < MIN_YEAR || y > MAX_YEAR || d > daysInMonth(y, mo)) return false;
  const h = num2(t, 11);
  const mi = num2(t, 14);
  const s = num2(t, 17);
  return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

/**
 * YYYY-MM-DD, or with THH:MM[:SS[.fraction]] and an optional Z or ±HH:MM. No zone means UTC;
 * fractions of a second are dropped.
 */
export function parseIsoDateTime(text: string): Result<string> {
  if (text.length === 20 && isCanonical(text)) return { ok: true, value: text };
  const m = ISO.exec(text);
  if (m === null) return { ok: false, reason: ISO_EXAMPLE };
  let offset = 0;
  const zone = m[7];
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 18 || om > 59) return { ok: false, reason: 'has a time zone offset that does not exist' };
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return build(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), offset);
}

/** M/D/YYYY[ H:MM[:SS]] as in the UCI data set (US order, no zone: taken as UTC). */
export function parseUsDateTime(text: string): Result<string> {
  const m = US.exec(text);
  if (m === null) return { ok: false, reason: 'is not a date like 12/1/2010 8:26' };
  return build(Number(m[3]), Number(m[1]), Number(m[2]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), 0);
}
