import { parseIsoDateTime } from './dates.js';
import { isCurrencyCode, minorDigits, parseMoney } from '../../platform/money.js';
import type { LineError, NativeField, OrderLine } from './types.js';

/*
 * Per-line checks for the native format, hand-written: this runs a million times per import,
 * and a zod parse per row costs more than the whole CSV parse. Every reason names its field.
 */

export const MAX_QUANTITY = 1_000_000;
/** Limits of the orders and products tables (order_code <= 100, sku <= 64). */
const MAX_LENGTH: Partial<Record<NativeField, number>> = {
  order_code: 100, sku: 64, customer_email: 254, customer_name: 200, product_name: 200,
};
const EMAIL = /^[^\s@,;<>()"]+@[^\s@,;<>()"]+\.[^\s@,;<>()"]+$/;
const QUANTITY = /^\d+$/;
const CURRENCY = /^[A-Za-z]{3}$/;
/** Fields that may be empty: the database defaults names to ''. */
const OPTIONAL: ReadonlySet<NativeField> = new Set(['customer_name', 'product_name']);

/** Quotes a value for a message, cut short so a 1 MB field does not flood the error report. */
export const shown = (value: string): string => `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;

export type NativeValues = Record<NativeField, string>;

/** Empty and length checks; names may be empty (the database defaults them to ''). */
function shapeErrors(v: NativeValues): LineError[] {
  const errors: LineError[] = [];
  for (const field of Object.keys(v) as NativeField[]) {
    const value = v[field];
    if (value === '' && !OPTIONAL.has(field)) errors.push({ field, reason: `${field} is empty`, code: 'missing' });
    const max = MAX_LENGTH[field];
    if (max !== undefined && value.length > max) errors.push({ field, reason: `${field} is longer than ${max} characters`, code: 'too_long' });
  }
  return errors;
}

/*
 * Module-level, not a closure per call: under tsx (esbuild keepNames) every closure created on
 * the hot path costs a defineProperty, which measured at a third of the validation time.
 */
function fail(errors: LineError[] | null, field: NativeField, value: string, why: string): LineError[] {
  const list = errors ?? [];
  list.push({ field, reason: `${field} ${shown(value)} ${why}`, code: 'invalid' });
  return list;
}

/**
 * Values are already trimmed. Returns the line, or every problem found (not just the first).
 * Written for the hot path: no allocation beyond the result while the line is valid.
 */
export function validateNativeLine(v: NativeValues): OrderLine | LineError[] {
  let errors: LineError[] | null = null;
  if (
    v.order_code === '' || v.order_date === '' || v.customer_email === '' || v.sku === '' || v.quantity === '' ||
    v.unit_price === '' || v.currency === '' ||
    v.order_code.length > 100 || v.sku.length > 64 || v.customer_name.length > 200 || v.product_name.length > 200
  ) {
    errors = shapeErrors(v);
    if (errors.length === 0) errors = null;
  }
  const email = v.customer_email.toLowerCase();
  if (!EMAIL.test(email) || email.length > 254) {
    if (email !== '') errors = fail(errors, 'customer_email', email, 'is not an email address');
  }
  const date = parseIsoDateTime(v.order_date);
  if (!date.ok) {
    if (v.order_date !== '') errors = fail(errors, 'order_date', v.order_date, date.reason);
  }
  const q = v.quantity;
  const quantity = QUANTITY.test(q) ? Number(q) : NaN;
  if (!(quantity >= 1 && quantity <= MAX_QUANTITY)) {
    if (q !== '') errors = fail(errors, 'quantity', q, quantity === 0 ? 'is 0: order at least 1' : quantity > MAX_QUANTITY ? `is above the limit of ${MAX_QUANTITY}` : 'is not a positive whole number');
  }
  const currency = CURRENCY.test(v.currency) ? v.currency.toUpperCase() : v.currency;
  const known = isCurrencyCode(currency);
  if (!known && currency !== '') {
    errors = fail(errors, 'currency', v.currency, CURRENCY.test(currency) ? 'is not an ISO 4217 currency code' : 'is not a 3-letter code like EUR');
  }
  const price = parseMoney(v.unit_price, minorDigits(currency));
  if (!price.ok) {
    if (v.unit_price !== '') errors = fail(errors, 'unit_price', v.unit_price, price.reason.startsWith('has more') && known ? `${price.reason} for ${currency}` : price.reason);
  }
  if (errors !== null || !date.ok || !price.ok || !(quantity >= 1)) return errors ?? [];
  return {
    orderCode: v.order_code, orderDate: date.value, customerEmail: email, customerName: v.customer_name,
    sku: v.sku, productName: v.product_name, quantity, unitPrice: price.value, currency,
  };
}
