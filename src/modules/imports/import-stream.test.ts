import { describe, expect, it } from 'vitest';
import { DomainError } from '../../platform/errors.js';
import { mapCsv, newImportCounts } from './import-stream.js';
import type { MappingOptions } from './mapping.js';
import type { MappedLine } from './types.js';

/*
 * mapCsv: the whole file through reader and mapper, as phase 1 reads it. What is a line, what is
 * blank, and what a file in the wrong shape is told.
 */

const HEADER = 'order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency';
const line = (code: string, quantity = 1) => `${code},2024-03-01T10:00:00Z,ada@example.com,Ada,SKU-1,Mug,${quantity},2.50,EUR`;

async function* bytes(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}

async function mapAll(text: string, options: MappingOptions = {}) {
  const counts = newImportCounts();
  const lines: MappedLine[] = [];
  for await (const batch of mapCsv(bytes(text), options, counts)) lines.push(...batch);
  return { lines, counts };
}

async function refusal(text: string, options: MappingOptions = {}): Promise<string> {
  const err = await mapAll(text, options).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(DomainError);
  return (err as DomainError).message;
}

describe(mapCsv.name, () => {
  describe('spreadsheet padding rows', () => {
    it('counts a record whose fields are all empty or blank as a blank line, not as a rejected order line', async () => {
      const text = [HEADER, line('P-1'), ',,,,,,,,', ' , ,\t,,,,,,', line('P-2', 0), ',,,', '""', ',,,,,,,,', ''].join('\n');
      const { lines, counts } = await mapAll(text);
      expect(lines.map((m) => [m.line, m.ok])).toEqual([[2, true], [5, false]]);
      expect(lines[1]).toMatchObject({ ok: false, errors: [{ field: 'quantity', code: 'invalid' }] });
      // Every physical line is the header, a line read, or blank; read = accepted + rejected.
      expect(counts).toMatchObject({ linesRead: 2, accepted: 1, rejected: 1, blankLines: 5, records: 3 });
      expect(counts.records + counts.blankLines).toBe(text.split('\n').length - 1);
    });

    it('skips padding rows above the header, and refuses a file of nothing but padding below it', async () => {
      const { lines, counts } = await mapAll([',,,', HEADER, line('P-1')].join('\n'));
      expect(lines.map((m) => [m.line, m.ok])).toEqual([[3, true]]);
      expect(counts).toMatchObject({ linesRead: 1, blankLines: 1, records: 2 });
      expect(await refusal([HEADER, ',,,,,,,,', ',,,,,,,,'].join('\n'))).toBe(
        'The file has a header (line 1) but no order lines: add at least one order line below it.',
      );
    });

    it('still rejects a record with something in it, and an unreadable one', async () => {
      const { lines } = await mapAll([HEADER, ',,,,,,1,,', ',"never closed'].join('\n'));
      expect(lines.map((m) => [m.line, m.ok])).toEqual([[2, false], [3, false]]);
    });

    it('treats padding rows the same in the presets (uci)', async () => {
      const uci = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
      const { counts } = await mapAll([uci, '536365,85123A,MUG,6,12/1/2010 8:26,2.55,17850,United Kingdom', ',,,,,,,'].join('\r\n'), { preset: 'uci' });
      expect(counts).toMatchObject({ linesRead: 1, accepted: 1, rejected: 0, blankLines: 1 });
    });
  });

  describe('a file in the wrong shape', () => {
    it('says a file with CR-only line endings uses them, and shows the CR in the header it lists', async () => {
      const message = await refusal(`${HEADER}\r${line('CR-1')}\r${line('CR-2')}\r`);
      expect(message).toMatch(/^The file has no column currency\. Its header has: .*currency\\rCR-1, /);
      expect(message).toMatch(/The file uses CR-only line endings \(old Mac style\).*save it with LF or CRLF line endings/);
      expect(message).not.toContain('\r');
    });

    it('says so too when the one CR-only line is too long to read as a header', async () => {
      const text = `${HEADER}\r${Array.from({ length: 30 }, (_, i) => line(`CR-${i}`)).join('\r')}\r`;
      const err = await mapCsv(bytes(text), { maxRecordBytes: 1024 }).next().then(() => null, (e: unknown) => e);
      expect((err as Error).message).toMatch(/^The header \(line 1\) cannot be read: line longer than 1024 bytes.*The file uses CR-only line endings/);
    });

    it("says a file whose header is one field holding ';' seems delimited by ';', and one holding tabs by tabs", async () => {
      const semicolons = await refusal(`${HEADER.replaceAll(',', ';')}\n${line('S-1').replaceAll(',', ';')}\n`);
      expect(semicolons).toMatch(/^The file has no columns order_code, .* The file seems delimited by ';': ordersys reads comma-separated files/);
      const tabs = await refusal(`${HEADER.replaceAll(',', '\t')}\n${line('T-1').replaceAll(',', '\t')}\n`);
      expect(tabs).toMatch(/The file seems delimited by tabs: ordersys reads comma-separated files/);
      const uci = await refusal('InvoiceNo;StockCode;Description;Quantity;InvoiceDate;UnitPrice;CustomerID;Country\n', { preset: 'uci' });
      expect(uci).toMatch(/seems delimited by ';'/);
    });

    it('adds no hint to a header that is merely missing a column', async () => {
      expect(await refusal('order_code;note,sku\nA,B,C\n')).toMatch(/Its header has: order_code;note, sku\.$/);
    });
  });
});
