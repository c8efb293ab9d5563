import { describe, expect, it } from 'vitest';
import { checkOrder } from './order-grouping.js';
import type { MappedLine, OrderLine } from './types.js';

const base: OrderLine = {
  orderCode: 'ORD-1', orderDate: '2024-05-31T10:00:00Z', customerEmail: 'ada@example.com', customerName: 'Ada',
  sku: 'SKU-1', productName: 'Mug', quantity: 1, unitPrice: 250, currency: 'EUR',
};
const ok = (line: number, row: Partial<OrderLine> = {}): MappedLine => ({ ok: true, line, raw: `raw ${line}`, row: { ...base, ...row } });
const bad = (line: number, scope: 'order' | 'line' = 'order'): MappedLine => ({
  ok: false, line, raw: `raw ${line}`, orderCode: 'ORD-1', scope, errors: [{ field: 'quantity', reason: 'quantity is empty', code: 'missing' }],
});
const reasonsOf = (result: ReturnType<typeof checkOrder>) => result.rejected.map((r) => [r.line, r.errors.map((e) => e.reason).join('; ')]);

describe(checkOrder.name, () => {
  it('merges repeated lines of one SKU at one price and totals the order', () => {
    const result = checkOrder('ORD-1', [ok(9, { quantity: 2 }), ok(3), ok(5, { sku: 'SKU-2', unitPrice: 100 })]);
    expect(result).toMatchObject({
      ok: true,
      order: { orderCode: 'ORD-1', total: 3 * 250 + 100, items: [{ sku: 'SKU-1', quantity: 3, lines: [3, 9] }, { sku: 'SKU-2', quantity: 1, lines: [5] }] },
    });
  });

  it('rejects the order when one SKU has two prices', () => {
    const result = checkOrder('ORD-1', [ok(3), ok(8, { unitPrice: 199 })]);
    expect(result.ok).toBe(false);
    expect(reasonsOf(result)[0]).toEqual([3, 'order ORD-1 rejected: sku SKU-1 has two prices (2.50 on line 3, 1.99 on line 8)']);
  });

  it('rejects the order when its lines name two customers, currencies or dates', () => {
    expect(reasonsOf(checkOrder('ORD-1', [ok(2), ok(4, { customerEmail: 'bob@example.com' })]))[1]?.[1])
      .toBe('order ORD-1 rejected: two customers (ada@example.com on line 2, bob@example.com on line 4)');
    expect(reasonsOf(checkOrder('ORD-1', [ok(2), ok(4, { currency: 'USD' })]))[0]?.[1]).toMatch(/two currencies \(EUR on line 2, USD on line 4\)/);
    expect(reasonsOf(checkOrder('ORD-1', [ok(2), ok(4, { orderDate: '2024-06-02T10:00:00Z' })]))[0]?.[1]).toMatch(/different order dates/);
  });

  it('takes the earliest date when lines were keyed a minute apart', () => {
    const result = checkOrder('ORD-1', [ok(2, { orderDate: '2024-05-31T10:01:00Z' }), ok(4, { sku: 'SKU-2' })]);
    expect(result.ok && result.order.orderDate).toBe('2024-05-31T10:00:00Z');
  });

  it('rejects every line of an order with a bad line, naming the bad line', () => {
    const result = checkOrder('ORD-1', [ok(2), bad(17), ok(30, { sku: 'SKU-2' })]);
    expect(result.ok).toBe(false);
    expect(reasonsOf(result)).toEqual([
      [2, 'order ORD-1 rejected: line 17 is invalid'], [17, 'quantity is empty'], [30, 'order ORD-1 rejected: line 17 is invalid'],
    ]);
  });

  it('leaves out lines that are not order lines and keeps the order', () => {
    const result = checkOrder('ORD-1', [ok(2), bad(5, 'line')]);
    expect(result).toMatchObject({ ok: true, order: { items: [{ lines: [2] }] } });
    expect(reasonsOf(result)).toEqual([[5, 'quantity is empty']]);
  });

  it('rejects an order with nothing left, each line keeping its own reason', () => {
    expect(checkOrder('ORD-1', [bad(5, 'line')])).toMatchObject({ ok: false, rejected: [{ line: 5 }] });
  });
});
