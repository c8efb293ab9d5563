import { createReadStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapCsv, newImportCounts } from './import-stream.js';
import type { MappingOptions } from './mapping.js';
import { checkOrder } from './order-grouping.js';
import { loadNorthwindLookups } from './presets/northwind.js';
import type { MappedLine } from './types.js';

/*
 * The real data sets in /work/shared/datasets (see its README): every line must end up
 * accepted or rejected with a reason, and the known mess must be found where it is.
 */
import { DATASETS } from '../../../test/datasets.js';

async function importFile(file: string, options: MappingOptions) {
  const counts = newImportCounts();
  const lines: MappedLine[] = [];
  for await (const batch of mapCsv(createReadStream(`${DATASETS}/${file}`), options, counts)) lines.push(...batch);
  const byReason = new Map<string, number>();
  for (const m of lines) if (!m.ok) for (const code of new Set(m.errors.map((e) => e.code))) byReason.set(code, (byReason.get(code) ?? 0) + 1);
  // Orders: group by order code wherever the lines are in the file, as the pipeline does.
  const orders = new Map<string, MappedLine[]>();
  for (const m of lines) {
    const code = m.ok ? m.row.orderCode : m.orderCode;
    if (code === null) continue;
    const group = orders.get(code);
    if (group === undefined) orders.set(code, [m]);
    else group.push(m);
  }
  const checked = [...orders].map(([code, group]) => checkOrder(code, group));
  return { counts, lines, byReason: Object.fromEntries(byReason), checked };
}

function expectEveryLineAccounted(result: Awaited<ReturnType<typeof importFile>>) {
  const { counts, lines, checked } = result;
  expect(counts.accepted + counts.rejected).toBe(counts.linesRead);
  expect(lines).toHaveLength(counts.linesRead);
  for (const m of lines) if (!m.ok) for (const e of m.errors) expect(e.reason.length).toBeGreaterThan(10);
  // After grouping too: each line is in an accepted order's items or in a rejection.
  const inOrders = checked.flatMap((c) => (c.ok ? c.order.items.flatMap((i) => i.lines) : []));
  const rejected = checked.flatMap((c) => c.rejected.map((r) => r.line));
  expect(new Set([...inOrders, ...rejected]).size).toBe(counts.linesRead);
  expect(inOrders.length + rejected.length).toBe(counts.linesRead);
}

describe('UCI Online Retail sample with the uci preset', () => {
  it('accounts for all 40,000 lines and finds the mess the README lists', async () => {
    const result = await importFile('uci_online_retail_sample40k.csv', { preset: 'uci' });
    expect(result.counts).toMatchObject({ linesRead: 40_000, accepted: 29_180, rejected: 10_820, blankLines: 0 });
    expect(result.byReason).toEqual({
      cancellation: 674, // invoices C...
      no_customer: 10_057,
      not_positive: 778, // the 674 cancellations and 104 stock adjustments
      zero_price: 179,
      missing: 105, // empty descriptions
      non_product: 202, // POST 93, DOT 44, M 39, D 7, C2 6, S 5, CRUK, AMAZONFEE, BANK CHARGES, vouchers 2 each
      invalid: 1, // a price of 0.001
    });
    expectEveryLineAccounted(result);
    const accepted = result.checked.filter((c) => c.ok);
    expect([accepted.length, result.checked.length - accepted.length]).toEqual([11_472, 1_727]);
    expect(result.lines.find((m) => m.line === 2)).toMatchObject({
      ok: true, row: { orderCode: '573415', orderDate: '2011-10-30T16:17:00Z', customerEmail: 'customer-13607@uci.example', productName: 'COOK WITH WINE METAL SIGN', unitPrice: 208, currency: 'GBP' },
    });
  });
});

describe('Northwind order details with the northwind preset', () => {
  it('maps all 2,155 lines of 830 orders, discounts included', async () => {
    const northwind = await loadNorthwindLookups(DATASETS);
    const result = await importFile('northwind_order_details.csv', { preset: 'northwind', northwind });
    expect(result.counts).toMatchObject({ linesRead: 2155, accepted: 2155, rejected: 0 });
    expectEveryLineAccounted(result);
    expect(result.checked.filter((c) => c.ok)).toHaveLength(830);
    expect(result.lines[1]).toMatchObject({ ok: true, row: { orderCode: '10248', sku: 'NW-42', unitPrice: 980, customerEmail: 'vinet@northwind.example', currency: 'USD' } });
    // 10260,41,7.69999981,16,0.25 -> 7.7 * 0.75 = 5.775 -> 5.77 (the float noise is below half a cent)
    const discounted = result.lines.find((m) => m.raw.startsWith('10260,41,'));
    expect(discounted).toMatchObject({ ok: true, row: { unitPrice: 577, quantity: 16 } });
  });
});
