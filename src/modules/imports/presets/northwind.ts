import type { Result } from '../../../platform/errors.js';
import { columnMapper, field } from '../columns.js';
import { MAX_QUANTITY, shown } from '../line-validation.js';
import type { RowMapper } from '../mapping.js';
import { discountedMinorUnits } from '../../../platform/money.js';
import type { LineError } from '../types.js';
import type { NorthwindLookups } from './northwind-lookups.js';

/*
 * Northwind order details -> order lines. Prices are US dollars written as floats
 * ('9.80000019'); the discount is applied to the unit price, as Northwind's own invoices do:
 * unit price in cents = round half up(unit_price * (1 - discount) * 100), computed on the
 * decimal text (money.ts), so 14 at 5% off is exactly 1330 cents.
 * SKUs are NW-<product_id>; customers get <customer_id in lower case>@northwind.example.
 */

export { loadNorthwindLookups, type NorthwindFiles, type NorthwindLookups } from './northwind-lookups.js';

const COLUMNS = { order: 'order_id', product: 'product_id', price: 'unit_price', quantity: 'quantity', discount: 'discount' };
const QUANTITY = /^\d+$/;

export function northwindMapper(header: readonly string[], lookups: NorthwindLookups): Result<RowMapper> {
  return columnMapper(header, COLUMNS, 'order', (record, c) => {
    const errors: LineError[] = [];
    const orderId = field(record, c.order);
    const order = lookups.orders.get(orderId);
    if (order === undefined) errors.push({ field: 'order_id', reason: `order_id ${shown(orderId)} is not in the orders file`, code: 'unknown_order' });
    else if (order.orderDate === null) errors.push({ field: 'order_date', reason: order.dateProblem, code: 'invalid' });
    const customerName = order === undefined ? undefined : lookups.customers.get(order.customerId);
    if (order !== undefined && customerName === undefined) {
      errors.push({ field: 'customer_id', reason: `customer_id ${shown(order.customerId)} of order ${orderId} is not in the customers file`, code: 'unknown_customer' });
    }
    const productId = field(record, c.product);
    const productName = lookups.products.get(productId);
    if (productName === undefined) errors.push({ field: 'product_id', reason: `product_id ${shown(productId)} is not in the products file`, code: 'unknown_product' });
    const q = field(record, c.quantity);
    const quantity = QUANTITY.test(q) ? Number(q) : 0;
    if (quantity < 1 || quantity > MAX_QUANTITY) errors.push({ field: 'quantity', reason: `quantity ${shown(q)} is not a whole number from 1 to ${MAX_QUANTITY}`, code: 'invalid' });
    const price = discountedMinorUnits(field(record, c.price), field(record, c.discount), 2);
    if (!price.ok) {
      const f = price.reason.startsWith('discount') ? 'discount' : 'unit_price';
      const value = field(record, f === 'discount' ? c.discount : c.price);
      errors.push({ field: f, reason: `${f} ${shown(value)}: ${price.reason}`, code: 'invalid' });
    }
    if (errors.length > 0 || !order?.orderDate || customerName === undefined || productName === undefined || !price.ok) {
      return { ok: false, line: record.line, raw: record.raw, orderCode: orderId === '' ? null : orderId, scope: 'order', errors };
    }
    const row = {
      orderCode: orderId, orderDate: order.orderDate, customerEmail: `${order.customerId.toLowerCase()}@northwind.example`,
      customerName, sku: `NW-${productId}`, productName, quantity, unitPrice: price.value, currency: 'USD',
    };
    return { ok: true, line: record.line, raw: record.raw, row };
  });
}
