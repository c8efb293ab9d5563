import { describe, expect, it } from 'vitest';
import { checkRefundAmount, checkRestock, checkRestockRoom, refundStatusFor, remainingRestock } from './refund.rules.js';

const paid = { orderCode: 'ORD-1', status: 'completed' as const, currency: 'EUR' };
const money = (refunded = 0, pending = 0, captured: number | null = 10000) => ({ captured, refunded, pending });

describe('checkRefundAmount', () => {
  it('refunds everything left when no amount is asked', () => {
    expect(checkRefundAmount(paid, money(3000, 1000), undefined)).toEqual({ ok: true, value: 6000 });
  });

  it('counts pending refunds as spent and says what is left', () => {
    const check = checkRefundAmount(paid, money(3000, 1000), 8000);
    expect(check).toMatchObject({ ok: false, code: 'CONFLICT', field: 'amount' });
    expect(!check.ok && check.message).toContain('6000 left');
  });

  it.each([0, -5, 1.5])('refuses amount %s as invalid input', (amount) => {
    expect(checkRefundAmount(paid, money(), amount)).toMatchObject({ ok: false, code: 'INVALID_DATA', field: 'amount' });
  });

  it.each(['pending', 'reserved', 'failed', 'payment_failed'] as const)('refuses a %s order with its status', (status) => {
    const check = checkRefundAmount({ ...paid, status }, money(0, 0, null), 100);
    expect(check).toMatchObject({ ok: false, code: 'CONFLICT', field: 'status' });
    expect(!check.ok && check.message).toContain(`is ${status}`);
  });

  it('refuses an order cancelled before payment, accepts one cancelled after', () => {
    expect(checkRefundAmount({ ...paid, status: 'cancelled' }, money(0, 0, null), 100)).toMatchObject({ ok: false, field: 'status' });
    expect(checkRefundAmount({ ...paid, status: 'cancelled' }, money(), 100)).toEqual({ ok: true, value: 100 });
  });

  it('refuses a fully refunded order', () => {
    expect(checkRefundAmount(paid, money(10000), undefined)).toMatchObject({ ok: false, code: 'CONFLICT', field: 'amount' });
  });
});

describe('checkRestock', () => {
  // Paid: both reservations committed, every unit bought left the shelf.
  const bought = new Map([['A', { bought: 3, taken: 3 }], ['B', { bought: 1, taken: 1 }]]);
  // Cancelled while reserved, money captured late: the reservation was released, nothing left.
  const released = new Map([['A', { bought: 3, taken: 0 }]]);

  it('merges lines of one SKU', () => {
    expect(checkRestock([{ sku: 'A', quantity: 1 }, { sku: 'A', quantity: 1 }], bought, new Map())).toEqual({ ok: true, value: [{ sku: 'A', quantity: 2 }] });
  });

  it('refuses a SKU the order does not contain', () => {
    expect(checkRestock([{ sku: 'Z', quantity: 1 }], bought, new Map())).toMatchObject({ ok: false, code: 'INVALID_DATA', field: 'restock' });
  });

  it('refuses more than was bought, counting earlier restocks', () => {
    const check = checkRestock([{ sku: 'A', quantity: 2 }], bought, new Map([['A', 2]]));
    expect(!check.ok && check.message).toBe('restock: 2 of A asked, but only 1 of the 3 bought are left to restock.');
  });

  it('refuses any restock of units whose reservation was released: they never left the shelf', () => {
    const check = checkRestock([{ sku: 'A', quantity: 1 }], released, new Map());
    expect(check).toMatchObject({ ok: false, code: 'INVALID_DATA', field: 'restock', details: { sku: 'A', taken: 0 } });
    expect(!check.ok && check.message).toMatch(/^restock: A never left the shelf for this order \(its stock reservation was released, not committed\)/);
  });

  it('remainingRestock gives back what no refund restocked yet, and nothing that never left the shelf', () => {
    expect(remainingRestock(bought, new Map([['A', 1], ['B', 1]]))).toEqual([{ sku: 'A', quantity: 2 }]);
    expect(remainingRestock(released, new Map())).toEqual([]);
  });
});

describe('checkRestockRoom', () => {
  const MAX = 2_147_483_647;

  it('accepts what fits up to the int4 maximum exactly', () => {
    expect(checkRestockRoom([{ sku: 'A', quantity: 2 }], new Map([['A', MAX - 2]]), MAX)).toEqual({ ok: true, value: [{ sku: 'A', quantity: 2 }] });
  });

  it('refuses a restock past the maximum with a 409 naming the SKU and the room left', () => {
    const check = checkRestockRoom([{ sku: 'A', quantity: 3 }], new Map([['A', MAX - 2]]), MAX);
    expect(check).toMatchObject({ ok: false, code: 'CONFLICT', field: 'restock', details: { sku: 'A', onHand: MAX - 2, max: MAX } });
    expect(!check.ok && check.message).toBe(`restock: A has ${MAX - 2} on hand and stock can hold at most ${MAX} units, so this refund can put back at most 2 of the 3 asked.`);
  });
});

describe('refundStatusFor', () => {
  it('is partial below the total and full at it', () => {
    expect([refundStatusFor(0, 100), refundStatusFor(30, 100), refundStatusFor(100, 100)]).toEqual(['none', 'partial', 'full']);
  });
});
