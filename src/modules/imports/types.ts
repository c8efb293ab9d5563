/*
 * What every import format maps to: one OrderLine per accepted CSV record, or the reasons it
 * was rejected. Shared by the mapping, the presets, order grouping and the database pipeline.
 */

/** Native column names, in the order the generator writes them. */
export const NATIVE_FIELDS = [
  'order_code', 'order_date', 'customer_email', 'customer_name', 'sku', 'product_name', 'quantity', 'unit_price', 'currency',
] as const;
export type NativeField = (typeof NATIVE_FIELDS)[number];

export interface OrderLine {
  orderCode: string;
  /** 'YYYY-MM-DDTHH:MM:SSZ', UTC. */
  orderDate: string;
  /** Lower case. */
  customerEmail: string;
  customerName: string;
  sku: string;
  productName: string;
  /** Positive integer. */
  quantity: number;
  /** Integer minor units of `currency` (pence, cents). */
  unitPrice: number;
  /** ISO 4217: three upper-case letters. */
  currency: string;
}

export interface LineError {
  /** Column the problem is in, as the file names it ('quantity', 'CustomerID'), or 'line'. */
  field: string;
  /** One sentence a person understands, naming the value when it helps. */
  reason: string;
  /** Stable key for counting rejections by kind ('missing', 'cancellation', ...). */
  code: string;
}

/**
 * 'order': the line is bad, so its whole order is rejected. 'line': the line is not an order
 * line at all (postage, a fee, a free sample): it is rejected alone and its order goes on.
 */
export type RejectScope = 'order' | 'line';

export type MappedLine =
  | { ok: true; line: number; raw: string; row: OrderLine }
  | { ok: false; line: number; raw: string; orderCode: string | null; scope: RejectScope; errors: LineError[] };

export type RejectedLine = Extract<MappedLine, { ok: false }>;
