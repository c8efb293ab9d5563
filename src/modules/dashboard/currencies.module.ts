import { createHash } from 'node:crypto';
import { DEFAULT_MINOR_DIGITS, MINOR_DIGITS } from '../../platform/money.js';

/*
 * The dashboard divides stored minor units by the server's ISO 4217 digits, never the browser's:
 * Intl (CLDR) gives IDR 0 digits where ISO 4217 has 2, IQD 0 where it has 3, and so on for 17
 * currencies, which showed those amounts 100 or 1000 times too large. So the table is not copied
 * into web/js: the server writes it from money.ts as the ES module web/js/dom.js imports.
 */

/** Where the dashboard loads it: next to dom.js, which imports './currencies.js'. */
export const CURRENCIES_PATH = '/dashboard/assets/js/currencies.js';

/** The source of /dashboard/assets/js/currencies.js, and its ETag. */
export function currenciesModule(): { body: string; etag: string } {
  const table = Object.fromEntries(Object.entries(MINOR_DIGITS).sort(([a], [b]) => a.localeCompare(b)));
  const body = [
    '// Written by the server from src/platform/money.ts (ISO 4217); there is no such file in web/js.',
    `const DIGITS = Object.freeze(${JSON.stringify(table)});`,
    '',
    "/** Minor digits of a currency code, as the server stores it: 'JPY' -> 0, 'IDR' -> 2, 'IQD' -> 3. */",
    `export const minorDigits = (currency) => (Object.hasOwn(DIGITS, currency) ? DIGITS[currency] : ${DEFAULT_MINOR_DIGITS});`,
    '',
  ].join('\n');
  return { body, etag: `W/"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` };
}
