import { MAX_QUANTITY } from './line-validation.js';
import { formatMinor, minorDigits } from '../../platform/money.js';
import type { LineError, MappedLine, OrderLine, RejectedLine } from './types.js';

/*
 * Order-level rules over every line of one order code, wherever the lines were in the file.
 * Pure, so the database pipeline can call it per group or mirror it in SQL:
 * - a bad line rejects its order; every other line of it is rejected naming the bad lines;
 * - lines rejected with scope 'line' (postage, free samples) are left out, the order goes on;
 * - one customer, one currency, one order date (lines within dateToleranceMs of each other are
 *   one date: real invoices are keyed over a minute boundary; the earliest wins);
 * - the same SKU twice at one price merges quantities (order_items is unique per product);
 *   at two prices the order is rejected, since neither price can be chosen honestly.
 */

export interface OrderItem { sku: string; productName: string; quantity: number; unitPrice: number; lines: number[] }
export interface GroupedOrder {
  orderCode: string; orderDate: string; customerEmail: string; customerName: string; currency: string;
  items: OrderItem[];
  /** Sum of quantity * unitPrice, minor units. */
  total: number;
}
export interface Rejection { line: number; raw: string; orderCode: string; errors: LineError[] }

export type OrderCheck =
  | { ok: true; order: GroupedOrder; /** lines left out with scope 'line' */ rejected: Rejection[] }
  | { ok: false; orderCode: string; rejected: Rejection[] };

export const DEFAULT_DATE_TOLERANCE_MS = 60 * 60 * 1000;

const listLines = (lines: number[]): string =>
  lines.length === 1 ? `line ${lines[0]} is` : `lines ${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ` and ${lines.length - 5} more` : ''} are`;

export function checkOrder(orderCode: string, lines: readonly MappedLine[], dateToleranceMs = DEFAULT_DATE_TOLERANCE_MS): OrderCheck {
  const sorted = [...lines].sort((a, b) => a.line - b.line);
  const own = (m: RejectedLine): Rejection => ({ line: m.line, raw: m.raw, orderCode, errors: m.errors });
  const leftOut = sorted.filter((m): m is RejectedLine => !m.ok && m.scope === 'line').map(own);
  const bad = sorted.filter((m): m is RejectedLine => !m.ok && m.scope === 'order');
  const good = sorted.filter((m): m is Extract<MappedLine, { ok: true }> => m.ok);
  const rejectAll = (field: string, reason: string, code: string): OrderCheck => ({
    ok: false, orderCode,
    rejected: [...leftOut, ...bad.map(own), ...good.map((m) => ({ line: m.line, raw: m.raw, orderCode, errors: [{ field, reason, code }] }))]
      .sort((a, b) => a.line - b.line),
  });

  if (bad.length > 0) return rejectAll('line', `order ${orderCode} rejected: ${listLines(bad.map((m) => m.line))} invalid`, 'order_rejected');
  if (good.length === 0) return { ok: false, orderCode, rejected: leftOut };

  const first = good[0]!.row;
  const conflict = (key: keyof OrderLine, what: string): OrderCheck | null => {
    const other = good.find((m) => m.row[key] !== first[key]);
    if (other === undefined) return null;
    const reason = `order ${orderCode} rejected: two ${what} (${first[key]} on line ${good[0]!.line}, ${other.row[key]} on line ${other.line})`;
    return rejectAll(key === 'customerEmail' ? 'customer_email' : key, reason, 'order_conflict');
  };
  const mixed = conflict('customerEmail', 'customers') ?? conflict('currency', 'currencies');
  if (mixed !== null) return mixed;

  let earliest = first.orderDate;
  let latest = first.orderDate;
  for (const m of good) {
    if (m.row.orderDate < earliest) earliest = m.row.orderDate;
    if (m.row.orderDate > latest) latest = m.row.orderDate;
  }
  if (Date.parse(latest) - Date.parse(earliest) > dateToleranceMs) {
    const reason = `order ${orderCode} rejected: its lines have different order dates (${earliest} and ${latest})`;
    return rejectAll('order_date', reason, 'order_conflict');
  }

  const items = new Map<string, OrderItem>();
  const digits = minorDigits(first.currency);
  for (const { line, row } of good) {
    const item = items.get(row.sku);
    if (item === undefined) {
      items.set(row.sku, { sku: row.sku, productName: row.productName, quantity: row.quantity, unitPrice: row.unitPrice, lines: [line] });
    } else if (item.unitPrice !== row.unitPrice) {
      const reason = `order ${orderCode} rejected: sku ${row.sku} has two prices (${formatMinor(item.unitPrice, digits)} on line ${item.lines[0]}, ${formatMinor(row.unitPrice, digits)} on line ${line})`;
      return rejectAll('unit_price', reason, 'order_conflict');
    } else {
      item.quantity += row.quantity;
      item.lines.push(line);
      if (item.quantity > MAX_QUANTITY) return rejectAll('quantity', `order ${orderCode} rejected: sku ${row.sku} adds up to more than ${MAX_QUANTITY}`, 'order_conflict');
    }
  }
  const list = [...items.values()];
  const total = list.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
  const order = { orderCode, orderDate: earliest, customerEmail: first.customerEmail, customerName: first.customerName, currency: first.currency, items: list, total };
  return { ok: true, order, rejected: leftOut };
}
