import type { Result } from './errors.js';

/*
 * Money is parsed from the decimal text with integer math: parseFloat('0.29') * 100 is
 * 28.999999999999996, and a cent lost per line is real money over a million lines.
 */

/** ISO 4217 minor digits of every code not in MINOR_DIGITS. */
export const DEFAULT_MINOR_DIGITS = 2;

/**
 * ISO 4217 minor digits that differ from 2. The dashboard is served this table (it must not ask
 * the browser: CLDR gives IDR, IQD and 15 others different digits than ISO 4217).
 */
export const MINOR_DIGITS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

export const minorDigits = (currency: string): number => (Object.hasOwn(MINOR_DIGITS, currency) ? MINOR_DIGITS[currency]! : DEFAULT_MINOR_DIGITS);

/**
 * The ISO 4217 codes in use, from ICU (no dependency, no list to keep up to date). Three letters
 * are not enough: an order in 'XYZ' could never be paid, refunded or summed with the others.
 */
const ISO_4217: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** An upper-case ISO 4217 code (EUR, JPY); callers upper-case what users type. */
export const isCurrencyCode = (code: string): boolean => ISO_4217.has(code);

/** 12 integer digits keep value * 10^3 far below 2^53, so every step below is exact. */
const MAX_INTEGER_DIGITS = 12;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const POW10 = [1, 10, 100, 1000];

/**
 * '12.34' -> 1234 minor units for a 2-digit currency. Reasons read after the value. Scanned by
 * hand: a regex match per line costs more than the rest of the line's checks.
 */
export function parseMoney(text: string, digits: number): Result<number> {
  const len = text.length;
  let i = 0;
  let whole = 0;
  if (text.charCodeAt(0) === 45 /* - */) {
    if (DECIMAL.test(text)) return { ok: false, reason: 'is negative' };
    return { ok: false, reason: 'is not a number like 12.34' };
  }
  for (; i < len; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  if (i === 0 || i > MAX_INTEGER_DIGITS && whole >= 10 ** MAX_INTEGER_DIGITS) {
    return { ok: false, reason: i === 0 ? 'is not a number like 12.34' : 'is too large' };
  }
  let minor = 0;
  let places = 0;
  if (i < len) {
    if (text.charCodeAt(i) !== 46 /* . */ || i + 1 === len) return { ok: false, reason: 'is not a number like 12.34' };
    for (i++; i < len; i++, places++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return { ok: false, reason: 'is not a number like 12.34' };
      minor = minor * 10 + c;
    }
    if (places > digits) {
      return { ok: false, reason: digits === 0 ? 'has decimals, but the currency has none' : `has more than ${digits} decimal places` };
    }
  }
  const scale = POW10[digits] ?? 10 ** digits;
  return { ok: true, value: whole * scale + minor * (POW10[digits - places] ?? 1) };
}

/** Exact decimal as integer units and a power-of-ten scale: '9.80000019' -> 980000019n / 10^8. */
function decimal(text: string): { units: bigint; scale: number } | null {
  const m = DECIMAL.exec(text);
  if (m === null || m[1] === '-') return null;
  const frac = m[3] ?? '';
  return { units: BigInt((m[2] ?? '') + frac), scale: frac.length };
}

/**
 * price * (1 - discount) in minor units, rounded half up, from the decimal texts. Used for
 * sources (Northwind) whose prices carry float noise such as 9.80000019 and discounts as 0.15.
 */
export function discountedMinorUnits(price: string, discount: string, digits: number): Result<number> {
  const p = decimal(price);
  if (p === null) return { ok: false, reason: 'is not a number like 12.34' };
  const d = decimal(discount);
  if (d === null) return { ok: false, reason: 'discount is not a number like 0.15' };
  const one = 10n ** BigInt(d.scale);
  if (d.units >= one) return { ok: false, reason: 'discount is 1 or more: the line would be free or negative' };
  const numerator = p.units * (one - d.units) * 10n ** BigInt(digits);
  const denominator = 10n ** BigInt(p.scale + d.scale);
  const minor = (numerator * 2n + denominator) / (denominator * 2n); // half up, all positive
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'is too large' };
  return { ok: true, value: Number(minor) };
}

/** 255 -> '2.55', -5 -> '-0.05'; `grouped`: 123456 -> '1,234.56'. Exact for every safe integer. */
export function formatMinor(minor: number, digits: number, grouped = false): string {
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = digits === 0 ? s : s.slice(0, -digits);
  const fraction = digits === 0 ? '' : `.${s.slice(-digits)}`;
  return `${minor < 0 ? '-' : ''}${grouped ? whole.replace(/\B(?=(\d{3})+$)/g, ',') : whole}${fraction}`;
}

/** For people: 123456 EUR -> 'EUR 1,234.56', -250 EUR -> '-EUR 2.50', 1500 JPY -> 'JPY 1,500'. */
export function formatMoney(minor: number, currency: string): string {
  return `${minor < 0 ? '-' : ''}${currency} ${formatMinor(Math.abs(minor), minorDigits(currency), true)}`;
}
