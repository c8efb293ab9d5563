import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../../../platform/errors.js';
import { field, findColumns } from '../columns.js';
import { readCsv } from '../csv-reader.js';
import { parseIsoDateTime } from '../dates.js';

/*
 * Northwind keeps order headers, products and customers in their own files; the details file
 * (one line per order line) is the import's main input and these small files become lookups.
 * Lookup rows that are themselves broken are kept with the reason, so the order lines that
 * need them are rejected with it rather than reported as "unknown".
 */

export interface NorthwindOrder { orderDate: string | null; dateProblem: string; customerId: string }
export interface NorthwindLookups {
  orders: Map<string, NorthwindOrder>;
  /** product_id -> product_name. */
  products: Map<string, string>;
  /** customer_id -> company_name. */
  customers: Map<string, string>;
}

export interface NorthwindFiles { orders: string; products: string; customers: string }

/** The three files by path, or a directory holding them under their usual names. */
export async function loadNorthwindLookups(source: string | NorthwindFiles): Promise<NorthwindLookups> {
  const files = typeof source === 'string'
    ? { orders: join(source, 'northwind_orders.csv'), products: join(source, 'northwind_products.csv'), customers: join(source, 'northwind_customers.csv') }
    : source;
  const orders = new Map<string, NorthwindOrder>();
  await eachRow(files.orders, { id: 'order_id', customer: 'customer_id', date: 'order_date' }, (get) => {
    const date = parseIsoDateTime(get('date'));
    const dateProblem = date.ok ? '' : `order_date '${get('date')}' ${date.reason}`;
    orders.set(get('id'), { orderDate: date.ok ? date.value : null, dateProblem, customerId: get('customer') });
  });
  const products = new Map<string, string>();
  await eachRow(files.products, { id: 'product_id', name: 'product_name' }, (get) => products.set(get('id'), get('name')));
  const customers = new Map<string, string>();
  await eachRow(files.customers, { id: 'customer_id', name: 'company_name' }, (get) => customers.set(get('id'), get('name')));
  return { orders, products, customers };
}

async function eachRow<K extends string>(path: string, wanted: Record<K, string>, row: (get: (k: K) => string) => void): Promise<void> {
  let columns: Record<K, number> | null = null;
  for await (const batch of readCsv(createReadStream(path))) {
    for (const record of batch) {
      if (columns === null) {
        const found = findColumns(record.fields, wanted);
        if (!found.ok) throw new DomainError('INVALID_DATA', `${path}: ${found.reason}`);
        columns = found.value;
        continue;
      }
      const c = columns;
      if (record.error === null) row((k) => field(record, c[k]));
    }
  }
}
