import { DomainError } from '../../platform/errors.js';
import type { ImportOptions } from './import.repository.js';
import { parseFieldMap, type PresetName } from './mapping.js';

export const PRESETS: readonly PresetName[] = ['native', 'uci', 'northwind'];
/** stock_on_hand is an integer column. */
export const MAX_DEFAULT_STOCK = 2_147_483_647;

export interface RawImportOptions {
  preset?: string;
  map?: readonly string[];
  createProducts?: boolean;
  defaultStock?: number;
}

/**
 * The options of an import from CLI flags or query parameters, with one message per mistake.
 * Creating products needs a stated stock: silently creating them with none would fail every
 * order at reservation, and inventing a number would be worse.
 */
export function resolveImportOptions(raw: RawImportOptions, names = { map: '--map', createProducts: '--create-products', defaultStock: '--default-stock' }): ImportOptions {
  const preset = (raw.preset ?? 'native') as PresetName;
  if (!PRESETS.includes(preset)) throw new DomainError('INVALID_DATA', `preset '${raw.preset}' is not one of ${PRESETS.join(', ')}.`);
  const specs = raw.map ?? [];
  if (specs.length > 0 && preset !== 'native') throw new DomainError('INVALID_DATA', `${names.map} applies to the native format only, not to the ${preset} preset.`);
  const map = parseFieldMap(specs, names.map);
  if (!map.ok) throw new DomainError('INVALID_DATA', map.reason);
  const createProducts = raw.createProducts ?? false;
  if (createProducts && raw.defaultStock === undefined) {
    throw new DomainError('INVALID_DATA', `${names.createProducts} needs ${names.defaultStock} N: the stock each created product starts with.`);
  }
  if (!createProducts && raw.defaultStock !== undefined) {
    throw new DomainError('INVALID_DATA', `${names.defaultStock} only applies with ${names.createProducts}.`);
  }
  const stock = raw.defaultStock ?? 0;
  if (!Number.isInteger(stock) || stock < 0 || stock > MAX_DEFAULT_STOCK) {
    throw new DomainError('INVALID_DATA', `${names.defaultStock} must be a whole number from 0 to ${MAX_DEFAULT_STOCK}.`);
  }
  return { preset, ...(specs.length > 0 && { map: map.value }), createProducts, defaultStock: stock };
}
