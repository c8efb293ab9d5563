import type { Result } from '../../../platform/errors.js';
import { columnMapper, field } from '../columns.js';
import { parseUsDateTime } from '../dates.js';
import { shown } from '../line-validation.js';
import type { RowMapper } from '../mapping.js';
import { parseMoney } from '../../../platform/money.js';
import type { LineError, RejectScope } from '../types.js';

/*
 * UCI "Online Retail" (a UK shop, 2010-2011). The data is real and messy; each rule below
 * exists because of lines in the data set:
 * - invoices starting with C are cancellations (negative quantities): not orders;
 * - a line with no CustomerID cannot be tied to a customer (about a quarter of the file);
 * - postage, fees, manual adjustments and vouchers use stock codes that are not products:
 *   those lines are rejected alone, the rest of their invoice is still an order;
 * - price 0 marks free samples and stock fixes, not sales: rejected alone too;
 * - other bad values (quantity <= 0, 0.001 pounds) reject the invoice like any bad line.
 * There is no email in the data: customers get customer-<CustomerID>@uci.example.
 */

/** Stock codes that are not products (postage, carriage, fees, manual lines, commissions). */
const NON_PRODUCT = new Set(['POST', 'DOT', 'C2', 'M', 'D', 'S', 'B', 'CRUK', 'AMAZONFEE', 'BANK CHARGES', 'ADJUST', 'ADJUST2']);
const VOUCHER = /^gift_/i;
/** Reasons that reject the line alone: it is not an order line, the invoice is still fine. */
const LINE_ONLY = new Set(['non_product', 'zero_price']);
const CUSTOMER_ID = /^(\d+)(?:\.0+)?$/;
const QUANTITY = /^-?\d+$/;

const COLUMNS = {
  invoice: 'InvoiceNo', stockCode: 'StockCode', description: 'Description', quantity: 'Quantity',
  date: 'InvoiceDate', price: 'UnitPrice', customer: 'CustomerID',
};

export function uciMapper(header: readonly string[]): Result<RowMapper> {
  return columnMapper(header, COLUMNS, 'invoice', (record, c) => {
    const errors: LineError[] = [];
    const invoice = field(record, c.invoice);
    if (invoice === '') errors.push({ field: 'InvoiceNo', reason: 'no InvoiceNo', code: 'missing' });
    if (invoice.startsWith('C')) {
      errors.push({ field: 'InvoiceNo', reason: `cancellation line (invoice ${invoice}): not an order`, code: 'cancellation' });
    }
    const customerId = CUSTOMER_ID.exec(field(record, c.customer))?.[1];
    if (customerId === undefined) {
      const v = field(record, c.customer);
      const reason = v === '' ? 'no CustomerID: the line cannot be tied to a customer' : `CustomerID ${shown(v)} is not a number`;
      errors.push({ field: 'CustomerID', reason, code: 'no_customer' });
    }
    const sku = field(record, c.stockCode);
    const nonProduct = sku === '' ? false : NON_PRODUCT.has(sku.toUpperCase()) || VOUCHER.test(sku);
    if (sku === '') errors.push({ field: 'StockCode', reason: 'no StockCode', code: 'missing' });
    if (nonProduct) errors.push({ field: 'StockCode', reason: `non-product stock code ${sku}: postage, fees and vouchers are not order lines`, code: 'non_product' });
    const productName = field(record, c.description);
    if (productName === '') errors.push({ field: 'Description', reason: 'no Description: the product has no name', code: 'missing' });
    const q = field(record, c.quantity);
    const quantity = QUANTITY.test(q) ? Number(q) : NaN;
    if (!(quantity >= 1)) {
      const reason = quantity <= 0 ? `Quantity ${q} is not positive: returns and stock adjustments are not orders` : `Quantity ${shown(q)} is not a whole number`;
      errors.push({ field: 'Quantity', reason, code: quantity <= 0 ? 'not_positive' : 'invalid' });
    }
    const date = parseUsDateTime(field(record, c.date));
    if (!date.ok) errors.push({ field: 'InvoiceDate', reason: `InvoiceDate ${shown(field(record, c.date))} ${date.reason}`, code: 'invalid' });
    const p = field(record, c.price);
    const price = parseMoney(p, 2);
    if (!price.ok) errors.push({ field: 'UnitPrice', reason: `UnitPrice ${shown(p)} ${price.reason}`, code: 'invalid' });
    else if (price.value === 0) errors.push({ field: 'UnitPrice', reason: 'zero price: free samples and stock fixes are not sales', code: 'zero_price' });

    if (errors.length === 0 && price.ok && date.ok && customerId !== undefined) {
      const row = {
        orderCode: invoice, orderDate: date.value, customerEmail: `customer-${customerId}@uci.example`,
        customerName: `UCI customer ${customerId}`, sku, productName, quantity, unitPrice: price.value, currency: 'GBP',
      };
      return { ok: true, line: record.line, raw: record.raw, row };
    }
    // Only when every problem is of the "not an order line" kind does the invoice go on.
    let scope: RejectScope = 'line';
    for (const e of errors) if (!LINE_ONLY.has(e.code)) scope = 'order';
    return { ok: false, line: record.line, raw: record.raw, orderCode: invoice === '' ? null : invoice, scope, errors };
  });
}
