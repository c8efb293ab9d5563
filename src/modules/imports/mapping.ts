import type { Result } from '../../platform/errors.js';
import { columnMapper, field } from './columns.js';
import type { CsvRecord } from './csv-parser.js';
import { validateNativeLine, type NativeValues } from './line-validation.js';
import { type NorthwindLookups, northwindMapper } from './presets/northwind.js';
import { uciMapper } from './presets/uci.js';
import { NATIVE_FIELDS, type MappedLine, type NativeField } from './types.js';

/*
 * From a header to a row mapper: the native format (columns found by name, in any order and
 * case, optionally renamed with --map field=Header), or a preset for a known foreign format.
 */

export type RowMapper = (record: CsvRecord) => MappedLine;
export type FieldMap = Partial<Record<NativeField, string>>;
export type PresetName = 'native' | 'uci' | 'northwind';

export interface MappingOptions {
  preset?: PresetName;
  /** Native field -> header name in the file, e.g. { order_code: 'InvoiceNo' }. */
  map?: FieldMap;
  /** Required by the northwind preset. */
  northwind?: NorthwindLookups;
}

/** Parses `--map order_code=InvoiceNo` arguments, naming any unknown field; `name` is the flag or parameter they came in. */
export function parseFieldMap(specs: readonly string[], name = '--map'): Result<FieldMap> {
  const map: FieldMap = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const field = spec.slice(0, eq).trim().toLowerCase();
    const header = spec.slice(eq + 1).trim();
    if (eq < 1 || header === '') return { ok: false, reason: `${name} '${spec}' is not field=Header, e.g. order_code=InvoiceNo.` };
    if (!(NATIVE_FIELDS as readonly string[]).includes(field)) {
      return { ok: false, reason: `${name} '${spec}': ${field} is not a field; the fields are ${NATIVE_FIELDS.join(', ')}.` };
    }
    map[field as NativeField] = header;
  }
  return { ok: true, value: map };
}

export function nativeMapper(header: readonly string[], map: FieldMap = {}): Result<RowMapper> {
  const wanted = Object.fromEntries(NATIVE_FIELDS.map((f) => [f, map[f] ?? f])) as Record<NativeField, string>;
  return columnMapper(header, wanted, 'order_code', (record, c) => {
    const values: NativeValues = {
      order_code: field(record, c.order_code), order_date: field(record, c.order_date),
      customer_email: field(record, c.customer_email), customer_name: field(record, c.customer_name),
      sku: field(record, c.sku), product_name: field(record, c.product_name), quantity: field(record, c.quantity),
      unit_price: field(record, c.unit_price), currency: field(record, c.currency),
    };
    const result = validateNativeLine(values);
    if (!Array.isArray(result)) return { ok: true, line: record.line, raw: record.raw, row: result };
    const orderCode = values.order_code === '' ? null : values.order_code;
    return { ok: false, line: record.line, raw: record.raw, orderCode, scope: 'order', errors: result };
  });
}

export function createRowMapper(header: readonly string[], options: MappingOptions = {}): Result<RowMapper> {
  switch (options.preset ?? 'native') {
    case 'native':
      return nativeMapper(header, options.map);
    case 'uci':
      return uciMapper(header);
    case 'northwind':
      if (options.northwind === undefined) {
        return { ok: false, reason: 'The northwind preset needs the orders, products and customers files next to the details file.' };
      }
      return northwindMapper(header, options.northwind);
  }
}
