import { describe, expect, it } from 'vitest';
import { aggregate, daysOf, divRoundHalfUp, isValidDay, todayIn, toKpis, zeroCounters, type Fact } from './kpi.js';

const fact = (f: Partial<Fact>): Fact => ({ xid: '1', id: 1, day: '2024-03-01', kind: 'completed', currency: 'EUR', amount: 0, customerId: 'c1', ...f });

describe('divRoundHalfUp', () => {
  it('rounds halves up and the rest to the nearest integer', () => {
    expect(divRoundHalfUp(10, 4)).toBe(3); // 2.5
    expect(divRoundHalfUp(9, 4)).toBe(2); // 2.25
    expect(divRoundHalfUp(11, 4)).toBe(3); // 2.75
    expect(divRoundHalfUp(-10, 4)).toBe(-3);
    expect(divRoundHalfUp(5, 0)).toBe(0);
  });

  it('stays exact beyond 2^53 intermediate products', () => {
    expect(divRoundHalfUp(9_007_199_254_740_000, 3)).toBe(3_002_399_751_580_000);
  });
});

describe('toKpis', () => {
  it('derives revenue net of refunds and the average order value from gross revenue', () => {
    const c = { ...zeroCounters(), gross_revenue: 25_001, orders_completed: 2, refunds_amount: 3000, refunds_count: 1 };
    expect(toKpis('EUR', c)).toMatchObject({ revenue: 22_001, grossRevenue: 25_001, averageOrderValue: 12_501, refundsCount: 1 });
  });

  it('answers zeros, not NaN, for a day without orders', () => {
    expect(toKpis('EUR', zeroCounters())).toMatchObject({ revenue: 0, averageOrderValue: 0 });
  });
});

describe('aggregate', () => {
  it('sums a batch per day and currency, and per customer net of refunds', () => {
    const delta = aggregate([
      fact({ kind: 'completed', amount: 10_000 }),
      fact({ kind: 'completed', amount: 5000, customerId: 'c2' }),
      fact({ kind: 'refund', amount: 3000, day: '2024-03-02' }),
      fact({ kind: 'failed' }),
      fact({ kind: 'cancelled', currency: 'USD' }),
    ]);
    expect(delta.days.get('2024-03-01')!.get('EUR')).toMatchObject({ gross_revenue: 15_000, orders_completed: 2, orders_failed: 1 });
    expect(delta.days.get('2024-03-01')!.get('USD')).toMatchObject({ orders_cancelled: 1, gross_revenue: 0 });
    expect(delta.days.get('2024-03-02')!.get('EUR')).toMatchObject({ refunds_amount: 3000, refunds_count: 1 });
    expect(delta.customers.get('EUR')!.get('c1')).toEqual({ netSpend: 7000, orders: 1 });
    expect(delta.customers.get('EUR')!.get('c2')).toEqual({ netSpend: 5000, orders: 1 });
    expect(delta.customers.has('USD')).toBe(false);
  });
});

describe('days', () => {
  it('lists every day of a range, across month ends and leap days', () => {
    expect(daysOf('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(daysOf('2024-03-02', '2024-03-01')).toEqual([]);
  });

  it('accepts only real calendar dates', () => {
    expect(isValidDay('2024-02-29')).toBe(true);
    expect(isValidDay('2023-02-29')).toBe(false);
    expect(isValidDay('2024-13-01')).toBe(false);
    expect(isValidDay('2024-3-1')).toBe(false);
  });

  it("names today in the tenant's time zone", () => {
    const instant = new Date('2024-03-10T04:30:00Z');
    expect(todayIn('UTC', instant)).toBe('2024-03-10');
    expect(todayIn('America/New_York', instant)).toBe('2024-03-09');
  });
});
