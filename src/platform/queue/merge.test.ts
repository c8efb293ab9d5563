import { describe, expect, it } from 'vitest';
import { mergeByTenant } from './merge.js';

const job = (tenantId: string, ...orderIds: string[]) => ({ data: { tenantId, orderIds } });

describe('mergeByTenant', () => {
  it('merges one fetch into one batch per tenant, keeping the order the jobs named them in', () => {
    expect(mergeByTenant([job('t1', 'a', 'b'), job('t2', 'x'), job('t1', 'c')], 500)).toEqual([
      { tenantId: 't1', orderIds: ['a', 'b', 'c'] },
      { tenantId: 't2', orderIds: ['x'] },
    ]);
  });

  it('never puts more than max ids in a batch', () => {
    const ids = Array.from({ length: 7 }, (_, i) => `o${i}`);
    const batches = mergeByTenant([job('t', ...ids.slice(0, 4)), job('t', ...ids.slice(4))], 3);
    expect(batches.map((b) => b.orderIds)).toEqual([['o0', 'o1', 'o2'], ['o3', 'o4', 'o5'], ['o6']]);
  });

  it('names an order once even when two jobs carry it, but keeps tenants apart', () => {
    const batches = mergeByTenant([job('t1', 'a', 'b'), job('t1', 'b', 'a', 'c'), job('t2', 'a')], 500);
    expect(batches).toEqual([
      { tenantId: 't1', orderIds: ['a', 'b', 'c'] },
      { tenantId: 't2', orderIds: ['a'] },
    ]);
  });

  it('returns nothing for jobs without orders', () => {
    expect(mergeByTenant([job('t1')], 500)).toEqual([]);
  });
});
