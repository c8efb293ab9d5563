import type { Executor } from '../../platform/db/types.js';
import { MAX_QUANTITY } from './line-validation.js';
import { formatMinor, minorDigits } from '../../platform/money.js';
import { DEFAULT_DATE_TOLERANCE_MS } from './order-grouping.js';

/*
 * The per-order rules of order-grouping.ts (checkOrder), as one set-based query over a chunk of
 * staged lines, plus the import's own: unknown SKUs and totals too large to store. The query
 * returns only the orders that break a rule, with the lines and values the reason names; the
 * reason is worded here exactly as checkOrder words it, and in the same order of precedence.
 */

export interface OrderRejection {
  orderCode: string;
  field: string;
  reason: string;
  code: string;
}

interface VerdictRow {
  orderCode: string;
  badLines: number[] | null;
  badCount: number;
  firstLine: number;
  firstEmail: string;
  emailLine: number | null;
  otherEmail: string | null;
  firstCurrency: string;
  currencyLine: number | null;
  otherCurrency: string | null;
  earliest: Date;
  latest: Date;
  priceSku: string | null;
  priceFirst: number | null;
  priceFirstLine: number | null;
  priceOther: number | null;
  priceLine: number | null;
  bigSku: string | null;
  unknownSku: string | null;
  unknownLine: number | null;
  tooLarge: boolean;
}

const iso = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
const listLines = (lines: number[], count: number): string =>
  count === 1 ? `line ${lines[0]} is` : `lines ${lines.join(', ')}${count > lines.length ? ` and ${count - lines.length} more` : ''} are`;

/** Largest order total JavaScript reads back exactly (int8 arrives as a number). */
const MAX_TOTAL = Number.MAX_SAFE_INTEGER;

/**
 * Orders among the staged lines with codes in (lo, hi] that must be rejected, and why.
 * `checkCatalog`: an unknown SKU rejects the order (false when the import creates products).
 *
 * Two passes: one set of aggregates finds the orders that break some rule (emails, currencies
 * or one SKU's prices that are not all equal, and so on), then the detailed query, with its
 * window functions, explains only those. Most orders are fine: explaining all of them cost
 * ~0.1 s per 5,000 orders, most of it sorting for the windows.
 */
export async function findRejectedOrders(
  tx: Executor,
  tenantId: string,
  importId: string,
  range: CodeRange,
  checkCatalog: boolean,
): Promise<OrderRejection[]> {
  const params = (codes: readonly string[]) =>
    [tenantId, importId, range.lo, range.hi, codes, checkCatalog, MAX_TOTAL, MAX_QUANTITY, DEFAULT_DATE_TOLERANCE_MS];
  const suspects = await findSuspects(tx, params(range.codes));
  return suspects.length === 0 ? [] : explainRejections(tx, params(suspects));
}

/** Codes in (lo, hi]; `codes` lists them (or the ones to look at). */
type CodeRange = { lo: string; hi: string; codes: readonly string[] };

/** Codes of the orders that break at least one rule: exactly the ones explainRejections words a reason for. */
async function findSuspects(tx: Executor, params: unknown[]): Promise<string[]> {
  const { rows } = await tx.query<{ code: string }>(
    `WITH s AS (
       SELECT l.order_code, min(l.customer_email) AS e1, max(l.customer_email) AS e2, min(l.currency) AS c1, max(l.currency) AS c2,
              min(l.unit_price) <> max(l.unit_price) AS two_prices, sum(l.quantity) AS quantity,
              sum(l.quantity::numeric * l.unit_price) AS total, min(l.order_date) AS d1, max(l.order_date) AS d2,
              bool_or($6 AND p.id IS NULL) AS unknown
       FROM import_lines l
       LEFT JOIN products p ON $6 AND p.tenant_id = $1 AND p.sku = l.sku
       WHERE l.import_id = $2 AND l.order_code > $3 AND l.order_code <= $4
       GROUP BY l.order_code, l.sku
     )
     SELECT order_code AS code FROM s GROUP BY order_code
     HAVING min(e1) <> max(e2) OR min(c1) <> max(c2) OR bool_or(two_prices) OR bool_or(quantity > $8) OR sum(total) > $7
        OR bool_or(unknown) OR max(d2) - min(d1) > $9 * interval '1 millisecond'
     UNION
     SELECT order_code COLLATE "C" FROM import_errors WHERE import_id = $2 AND scope = 'order' AND order_code = ANY($5::text[])`,
    params,
  );
  return rows.map((r) => r.code);
}

/** The verdict and its reason for each of the codes ($5) that breaks a rule. */
async function explainRejections(tx: Executor, params: unknown[]): Promise<OrderRejection[]> {
  const { rows } = await tx.query<VerdictRow>(
    `WITH l AS (
       SELECT l.line_no, l.order_code, l.order_date, l.customer_email, l.currency, l.sku, l.quantity, l.unit_price,
              first_value(l.customer_email) OVER w AS first_email,
              first_value(l.currency) OVER w AS first_currency,
              first_value(l.line_no) OVER w AS first_line,
              first_value(l.unit_price) OVER s AS sku_price,
              first_value(l.line_no) OVER s AS sku_line,
              ($6 AND p.id IS NULL) AS unknown
       FROM import_lines l
       LEFT JOIN products p ON $6 AND p.tenant_id = $1 AND p.sku = l.sku
       WHERE l.import_id = $2 AND l.order_code > $3 AND l.order_code <= $4 AND l.order_code = ANY($5::text[] COLLATE "C")
       WINDOW w AS (PARTITION BY l.order_code ORDER BY l.line_no), s AS (PARTITION BY l.order_code, l.sku ORDER BY l.line_no)
     ), o AS (
       SELECT order_code, min(first_line) AS first_line, min(first_email) AS first_email, min(first_currency) AS first_currency,
              min(line_no) FILTER (WHERE customer_email <> first_email) AS email_line,
              min(line_no) FILTER (WHERE currency <> first_currency) AS currency_line,
              min(line_no) FILTER (WHERE unit_price <> sku_price) AS price_line,
              min(line_no) FILTER (WHERE unknown) AS unknown_line,
              min(order_date) AS earliest, max(order_date) AS latest,
              sum(quantity::numeric * unit_price) > $7 AS too_large
       FROM l GROUP BY order_code
     ), big AS (
       SELECT order_code, min(sku) AS sku FROM (
         SELECT order_code, sku FROM l GROUP BY order_code, sku HAVING sum(quantity) > $8
       ) s GROUP BY order_code
     ), bad AS (
       SELECT order_code, (array_agg(DISTINCT line_no ORDER BY line_no))[1:5] AS lines, count(DISTINCT line_no)::int AS n
       FROM import_errors WHERE import_id = $2 AND scope = 'order' AND order_code = ANY($5::text[])
       GROUP BY order_code
     )
     SELECT o.order_code AS "orderCode", bad.lines AS "badLines", coalesce(bad.n, 0) AS "badCount",
            o.first_line AS "firstLine", o.first_email AS "firstEmail", o.email_line AS "emailLine", le.customer_email AS "otherEmail",
            o.first_currency AS "firstCurrency", o.currency_line AS "currencyLine", lc.currency AS "otherCurrency",
            o.earliest, o.latest,
            lp.sku AS "priceSku", lp.sku_price AS "priceFirst", lp.sku_line AS "priceFirstLine", lp.unit_price AS "priceOther", o.price_line AS "priceLine",
            big.sku AS "bigSku", lu.sku AS "unknownSku", o.unknown_line AS "unknownLine", o.too_large AS "tooLarge"
     FROM o
     LEFT JOIN bad ON bad.order_code = o.order_code COLLATE "C"
     LEFT JOIN big ON big.order_code = o.order_code
     LEFT JOIN l le ON le.line_no = o.email_line
     LEFT JOIN l lc ON lc.line_no = o.currency_line
     LEFT JOIN l lp ON lp.line_no = o.price_line
     LEFT JOIN l lu ON lu.line_no = o.unknown_line
     WHERE bad.n IS NOT NULL OR o.email_line IS NOT NULL OR o.currency_line IS NOT NULL OR o.price_line IS NOT NULL
        OR o.unknown_line IS NOT NULL OR big.sku IS NOT NULL OR o.too_large
        OR o.latest - o.earliest > $9 * interval '1 millisecond'`,
    params,
  );
  return rows.map(verdict);
}

function verdict(r: VerdictRow): OrderRejection {
  const code = r.orderCode;
  const reject = (field: string, why: string, kind = 'order_conflict'): OrderRejection => ({ orderCode: code, field, reason: `order ${code} rejected: ${why}`, code: kind });
  if (r.badCount > 0) return reject('line', `${listLines(r.badLines ?? [], r.badCount)} invalid`, 'order_rejected');
  if (r.emailLine !== null) return reject('customer_email', `two customers (${r.firstEmail} on line ${r.firstLine}, ${r.otherEmail} on line ${r.emailLine})`);
  if (r.currencyLine !== null) return reject('currency', `two currencies (${r.firstCurrency} on line ${r.firstLine}, ${r.otherCurrency} on line ${r.currencyLine})`);
  if (r.latest.getTime() - r.earliest.getTime() > DEFAULT_DATE_TOLERANCE_MS) {
    return reject('order_date', `its lines have different order dates (${iso(r.earliest)} and ${iso(r.latest)})`);
  }
  if (r.priceLine !== null) {
    const digits = minorDigits(r.firstCurrency);
    return reject('unit_price', `sku ${r.priceSku} has two prices (${formatMinor(r.priceFirst ?? 0, digits)} on line ${r.priceFirstLine}, ${formatMinor(r.priceOther ?? 0, digits)} on line ${r.priceLine})`);
  }
  if (r.bigSku !== null) return reject('quantity', `sku ${r.bigSku} adds up to more than ${MAX_QUANTITY}`);
  if (r.tooLarge) return reject('unit_price', 'its total is too large to store', 'invalid');
  return reject('sku', `unknown SKU ${r.unknownSku} on line ${r.unknownLine}: no such product in this tenant's catalog (import with --create-products to add it)`, 'unknown_sku');
}
