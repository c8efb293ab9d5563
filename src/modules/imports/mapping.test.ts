import { describe, expect, it } from 'vitest';
import type { CsvRecord } from './csv-parser.js';
import { createRowMapper, nativeMapper, parseFieldMap } from './mapping.js';
import type { MappedLine } from './types.js';

const record = (raw: string, line = 2): CsvRecord => ({ line, endLine: line, raw, fields: raw.split(','), error: null });
const HEADER = 'order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency'.split(',');
const GOOD = 'ORD-1,2024-05-31T10:00:00Z,Ada@Example.com,Ada,SKU-00001,Mug,2,12.34,eur';

function map(raw: string, header: readonly string[] = HEADER): MappedLine {
  const mapper = nativeMapper(header);
  if (!mapper.ok) throw new Error(mapper.reason);
  return mapper.value(record(raw));
}
const reasons = (m: MappedLine) => (m.ok ? [] : m.errors.map((e) => `${e.field}: ${e.reason}`));

describe(nativeMapper.name, () => {
  it('maps a native line to an order line with minor units, lower-case email and upper-case currency', () => {
    expect(map(GOOD)).toEqual({
      ok: true, line: 2, raw: GOOD,
      row: { orderCode: 'ORD-1', orderDate: '2024-05-31T10:00:00Z', customerEmail: 'ada@example.com', customerName: 'Ada', sku: 'SKU-00001', productName: 'Mug', quantity: 2, unitPrice: 1234, currency: 'EUR' },
    });
  });

  it('finds columns in any order and case, with spaces or underscores, and ignores extra columns', () => {
    const header = ['Currency', ' Unit Price ', 'QUANTITY', 'product-name', 'SKU', 'Customer Name', 'CustomerEmail', 'Order_Date', 'order code', 'notes'];
    const m = map('eur,12.34,2,Mug,SKU-00001,Ada,ada@example.com,2024-05-31,ORD-1,gift wrap', header);
    expect(m.ok && m.row).toMatchObject({ orderCode: 'ORD-1', unitPrice: 1234, orderDate: '2024-05-31T00:00:00Z' });
  });

  it('names every missing column and lists the headers it found', () => {
    const result = nativeMapper(['order_code', 'sku', 'qty']);
    expect(result).toEqual({
      ok: false,
      reason: 'The file has no columns order_date, customer_email, customer_name, product_name, quantity, unit_price, currency. Its header has: order_code, sku, qty.',
    });
  });

  it('lists at most 20 header names, each cut at 40 characters: a non-CSV file does not become the message', () => {
    const wide = [`${'x'.repeat(10_000_000)}`, ...Array.from({ length: 29 }, (_, i) => `col${i + 1}`)];
    const result = nativeMapper(wide);
    expect(result.ok).toBe(false);
    const reason = result.ok ? '' : result.reason;
    expect(reason).toMatch(new RegExp(`Its header has: ${'x'.repeat(40)}…, col1, col2, .*, col19 and 10 more\\.$`));
    expect(reason.length).toBeLessThan(400);
  });

  it('refuses a header that names a column twice', () => {
    expect(nativeMapper([...HEADER, 'SKU'])).toMatchObject({ ok: false, reason: expect.stringMatching(/names sku more than once/) });
  });

  it('names the field and the value in every reason, and reports all problems of a line', () => {
    expect(reasons(map('ORD-1,2024-02-30,not-an-email,Ada,SKU-1,Mug,0,12.345,EURO'))).toEqual([
      "customer_email: customer_email 'not-an-email' is not an email address",
      "order_date: order_date '2024-02-30' is not a real calendar date",
      "quantity: quantity '0' is 0: order at least 1",
      "currency: currency 'EURO' is not a 3-letter code like EUR",
      "unit_price: unit_price '12.345' has more than 2 decimal places",
    ]);
  });

  it('rejects three letters that are not an ISO 4217 currency, naming the field and the value', () => {
    expect(reasons(map('ORD-1,2024-05-31,a@b.co,A,S,P,1,12.50,XYZ'))).toEqual(["currency: currency 'XYZ' is not an ISO 4217 currency code"]);
    expect(reasons(map('ORD-1,2024-05-31,a@b.co,A,S,P,1,12.50,abc'))).toEqual(["currency: currency 'abc' is not an ISO 4217 currency code"]);
    for (const code of ['EUR', 'usd', 'GBP', 'JPY', 'KWD', 'CHF']) expect(map(`ORD-1,2024-05-31,a@b.co,A,S,P,1,12,${code}`).ok).toBe(true);
  });

  it('reports empty required fields and accepts empty names', () => {
    expect(reasons(map(',2024-05-31,a@b.co,,SKU-1,,,1.00,'))).toEqual([
      'order_code: order_code is empty', 'quantity: quantity is empty', 'currency: currency is empty',
    ]);
    expect(map('ORD-1,2024-05-31,a@b.co,,SKU-1,,1,0,EUR').ok).toBe(true);
  });

  it('rejects quantities that are not positive whole numbers, and negative prices', () => {
    expect(reasons(map('ORD-1,2024-05-31,a@b.co,A,S,P,-2,-1.00,EUR'))).toEqual([
      "quantity: quantity '-2' is not a positive whole number", "unit_price: unit_price '-1.00' is negative",
    ]);
    expect(reasons(map('ORD-1,2024-05-31,a@b.co,A,S,P,1.5,1,EUR'))[0]).toMatch(/not a positive whole number/);
  });

  it('rejects a line with the wrong number of fields, keeping its order code so the order is rejected too', () => {
    const m = map('ORD-7,2024-05-31,a@b.co,Ada,SKU-1,Mug, large,1,1.00,EUR');
    expect(m).toMatchObject({ ok: false, orderCode: 'ORD-7', scope: 'order', errors: [{ field: 'line', code: 'field_count' }] });
    expect(map(`${GOOD},,`).ok).toBe(true); // trailing empty columns from spreadsheets are fine
  });

  it('rejects a record the reader could not read, recovering the order code from its text', () => {
    const mapper = nativeMapper(HEADER);
    if (!mapper.ok) throw new Error(mapper.reason);
    const broken: CsvRecord = { line: 9, endLine: 9, raw: 'ORD-3,2024-05-31,a@b.co,"Ada', fields: [], error: 'quote opened on line 9 is never closed' };
    expect(mapper.value(broken)).toMatchObject({ ok: false, line: 9, orderCode: 'ORD-3', errors: [{ reason: 'quote opened on line 9 is never closed' }] });
  });
});

describe(parseFieldMap.name, () => {
  it('maps native fields to the file\'s own headers', () => {
    const map = parseFieldMap(['order_code=InvoiceNo', 'SKU = StockCode']);
    expect(map).toEqual({ ok: true, value: { order_code: 'InvoiceNo', sku: 'StockCode' } });
    const header = ['InvoiceNo', ...HEADER.slice(1, 4), 'StockCode', ...HEADER.slice(5)];
    const mapper = createRowMapper(header, { map: map.ok ? map.value : {} });
    expect(mapper.ok && mapper.value(record(GOOD)).ok).toBe(true);
  });

  it('names an unknown field and shows the expected form', () => {
    expect(parseFieldMap(['order=InvoiceNo'])).toMatchObject({ ok: false, reason: expect.stringMatching(/order is not a field; the fields are order_code/) });
    expect(parseFieldMap(['order_code'])).toMatchObject({ ok: false, reason: expect.stringMatching(/is not field=Header/) });
  });

  it('says which mapped header is missing', () => {
    const result = createRowMapper(HEADER, { map: { order_code: 'InvoiceNo' } });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/no column InvoiceNo \(for order_code\)/) });
  });
});
