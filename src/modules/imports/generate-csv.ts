import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DEMO_CURRENCY, DEMO_CUSTOMERS, DEMO_PRODUCTS, demoCustomerEmail, demoCustomerName, demoProductName, demoProductPrice, demoSku,
} from './demo-catalog.js';
import { mulberry32, type Random, zipf } from './prng.js';
import { NATIVE_FIELDS } from './types.js';

/*
 * Deterministic native-format files for benchmarks and tests: same options, same bytes.
 * Shaped like real traffic where it matters to the pipeline: product popularity is zipf-like
 * (a few SKUs are in most orders, so stock reservations contend), and an order's lines are
 * scattered through a shuffle window, so grouping cannot rely on adjacency.
 */

export interface GenerateOptions {
  /** Data lines, header not counted. */
  lines: number;
  seed: number;
  /** Fraction of lines made invalid, 0..1 (default 0). */
  errorRate?: number;
  products?: number;
  customers?: number;
  /** Lines of the same order end up at most about this far apart (default 4096). */
  shuffleWindow?: number;
}

const START = Date.UTC(2024, 0, 1);
const quote = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Each kind breaks one thing, the way people and exports do. */
const MISTAKES: ((f: string[]) => void)[] = [
  (f) => { f[2] = f[2]!.replace('@', ''); },           // email without @
  (f) => { f[6] = '0'; },                              // quantity 0
  (f) => { f[6] = 'two'; },                            // quantity in words
  (f) => { f[7] = `-${f[7]}`; },                       // negative price
  (f) => { f[7] = `${f[7]}5`; },                       // three decimals
  (f) => { f[1] = '2024-02-30'; },                     // no such day
  (f) => { f[4] = ''; },                               // no sku
  (f) => { f[8] = 'EURO'; },                           // not a currency code
  (f) => { f.pop(); },                                 // a column short
  (f) => { f[3] = `"${f[3]}`; },                       // quote never closed
];

/** Catalog text per index, built once: formatting it per line was most of the generator's time. */
function table(n: number, format: (index: number) => string): string[] {
  const out = new Array<string>(n + 1);
  for (let i = 1; i <= n; i++) out[i] = format(i);
  return out;
}

function* orderLines(o: Required<GenerateOptions>, random: Random): Generator<string> {
  const product = zipf(o.products, 1.0, random);
  const productText = table(o.products, (p) => `${demoSku(p)},${quote(demoProductName(p))}`);
  const priceText = table(o.products, (p) => {
    const cents = demoProductPrice(p);
    return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  });
  const customerText = table(o.customers, (c) => `${demoCustomerEmail(c)},${quote(demoCustomerName(c))}`);
  let written = 0;
  for (let n = 1; written < o.lines; n++) {
    const size = Math.min(1 + Math.floor(random() ** 1.5 * 8), o.lines - written);
    const code = `ORD-${o.seed}-${String(n).padStart(7, '0')}`;
    const date = `${new Date(START + n * 30_000 + Math.floor(random() * 30) * 1000).toISOString().slice(0, 19)}Z`;
    const customer = 1 + Math.floor(random() * o.customers);
    const head = `${code},${date},${customerText[customer]},`;
    const skus = new Set<number>();
    for (let i = 0; i < size; i++) {
      let p = product();
      for (let tries = 0; skus.has(p) && tries < 5; tries++) p = product();
      skus.add(p);
      const quantity = 1 + Math.floor(random() ** 3 * 5);
      const line = `${head}${productText[p]},${quantity},${priceText[p]},${DEMO_CURRENCY}`;
      if (o.errorRate > 0 && random() < o.errorRate) {
        const fields = [code, date, demoCustomerEmail(customer), quote(demoCustomerName(customer)), demoSku(p), quote(demoProductName(p)), String(quantity), priceText[p]!, DEMO_CURRENCY];
        MISTAKES[Math.floor(random() * MISTAKES.length)]!(fields);
        yield fields.join(',');
      } else yield line;
    }
    written += size;
  }
}

/** All lines, header first, each without its line feed. */
export function* generateLines(options: GenerateOptions): Generator<string> {
  const o = { errorRate: 0, products: DEMO_PRODUCTS, customers: DEMO_CUSTOMERS, shuffleWindow: 4096, ...options };
  const random = mulberry32(o.seed);
  yield NATIVE_FIELDS.join(',');
  // Shuffle buffer: once full, each new line swaps out a random buffered one.
  const window: string[] = [];
  for (const line of orderLines(o, random)) {
    if (window.length < o.shuffleWindow) { window.push(line); continue; }
    const i = Math.floor(random() * window.length);
    yield window[i]!;
    window[i] = line;
  }
  for (let n = window.length; n > 0; n--) {
    const i = Math.floor(random() * n);
    yield window[i]!;
    window[i] = window[n - 1]!;
  }
}

/** The file as ~64 KB chunks of UTF-8, LF line ends. */
export async function* generateCsv(options: GenerateOptions): AsyncGenerator<Buffer> {
  let parts: string[] = [];
  let size = 0;
  for (const line of generateLines(options)) {
    parts.push(line);
    size += line.length + 1;
    if (size >= 65_536) {
      yield Buffer.from(`${parts.join('\n')}\n`, 'utf8');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield Buffer.from(`${parts.join('\n')}\n`, 'utf8');
}

export async function writeGeneratedCsv(options: GenerateOptions, out: Writable): Promise<void> {
  await pipeline(Readable.from(generateCsv(options)), out);
}
