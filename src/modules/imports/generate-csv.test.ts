import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { demoCustomerEmail, demoProductPrice, demoSku } from './demo-catalog.js';
import { generateCsv, generateLines } from './generate-csv.js';
import { mapCsv, newImportCounts } from './import-stream.js';

async function digest(options: Parameters<typeof generateCsv>[0]): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of generateCsv(options)) hash.update(chunk);
  return hash.digest('hex');
}

describe(generateCsv.name, () => {
  it('writes byte-identical files for the same seed, and different ones for another', async () => {
    const options = { lines: 20_000, seed: 7, errorRate: 0.05 };
    expect(await digest(options)).toBe(await digest(options));
    expect(await digest({ ...options, seed: 8 })).not.toBe(await digest(options));
  });

  it('writes exactly the lines asked for, all valid without an error rate, using catalog SKUs and prices', async () => {
    const counts = newImportCounts();
    const skus = new Map<string, number>();
    for await (const batch of mapCsv(generateCsv({ lines: 10_000, seed: 1 }), {}, counts)) {
      for (const m of batch) {
        if (!m.ok) throw new Error(JSON.stringify(m));
        const index = Number(m.row.sku.slice(4));
        expect(m.row.sku).toBe(demoSku(index));
        expect(m.row.unitPrice).toBe(demoProductPrice(index));
        expect(m.row.customerEmail).toMatch(/^customer-\d{5}@example\.com$/);
        skus.set(m.row.sku, (skus.get(m.row.sku) ?? 0) + 1);
      }
    }
    expect(counts).toMatchObject({ linesRead: 10_000, accepted: 10_000, rejected: 0 });
    // Zipf-like: the top 10 SKUs carry a large share of the lines.
    const top10 = [...skus.values()].sort((a, b) => b - a).slice(0, 10).reduce((a, b) => a + b, 0);
    expect(top10 / 10_000).toBeGreaterThan(0.25);
  });

  it('makes about errorRate of the lines invalid, in varied ways', async () => {
    const counts = newImportCounts();
    const kinds = new Set<string>();
    for await (const batch of mapCsv(generateCsv({ lines: 20_000, seed: 3, errorRate: 0.1 }), {}, counts)) {
      for (const m of batch) if (!m.ok) for (const e of m.errors) kinds.add(`${e.field}:${e.code}`);
    }
    expect(counts.linesRead).toBe(20_000);
    expect(counts.rejected / 20_000).toBeGreaterThan(0.08);
    expect(counts.rejected / 20_000).toBeLessThan(0.12);
    expect(kinds.size).toBeGreaterThanOrEqual(8);
  });

  it('scatters the lines of an order instead of writing them side by side', () => {
    const lines = [...generateLines({ lines: 5000, seed: 5 })].slice(1);
    const adjacentSameOrder = lines.filter((l, i) => i > 0 && l.split(',')[0] === lines[i - 1]!.split(',')[0]).length;
    expect(adjacentSameOrder / lines.length).toBeLessThan(0.05);
    expect(new Set(lines.map((l) => l.split(',')[0])).size).toBeLessThan(lines.length / 2); // orders have several lines
  });

  it('uses the shared demo catalog names', () => {
    expect([demoSku(1), demoSku(1000), demoCustomerEmail(42)]).toEqual(['SKU-00001', 'SKU-01000', 'customer-00042@example.com']);
  });
});
