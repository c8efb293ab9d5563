/**
 * The floors every ingestion figure is compared with: parsing the file alone, and a raw COPY of
 * the same lines into a bare table (no validation, no grouping, no indexes).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openPglite } from '../../src/platform/db/pglite.js';
import { mapCsv, newImportCounts } from '../../src/modules/imports/import-stream.js';
import { benchFile, benchLines } from '../lib/fixtures.js';
import { peakRssMb, report, seconds } from '../lib/report.js';

const BARE = `CREATE TABLE bare_lines (order_code text, order_date text, customer_email text, customer_name text,
  sku text, product_name text, quantity text, unit_price text, currency text)`;

const lines = benchLines();
const file = await benchFile(lines);
const backend = process.env.DATABASE_URL ? 'postgres' : 'embedded';

if (backend === 'postgres') {
  // Parsing alone is the same on both backends: measure it once.
  let t = performance.now();
  const counts = newImportCounts();
  for await (const batch of mapCsv(createReadStream(file, { highWaterMark: 65_536 }), {}, counts)) void batch;
  report({ figure: 'parse+validate only', value: Math.round(counts.linesRead / seconds(t)), unit: 'lines/s', better: 'higher' });

  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(BARE);
  t = performance.now();
  await pipeline(createReadStream(file), client.query(copyFrom('COPY bare_lines FROM STDIN WITH (FORMAT csv, HEADER true)')));
  report({ figure: 'floor: raw COPY into a bare table', value: Math.round(lines / seconds(t)), unit: 'lines/s', better: 'higher' });
  await client.end();
} else {
  const db = await openPglite(process.env.BENCH_DATA_DIR);
  await db.exec(BARE);
  // PGlite reads COPY input from one in-memory blob: feed it in slices of whole lines.
  const text = readFileSync(file);
  const t = performance.now();
  const slice = 16 * 1024 * 1024;
  let start = text.indexOf(10) + 1; // skip the header
  while (start < text.length) {
    let end = Math.min(start + slice, text.length);
    if (end < text.length) end = text.indexOf(10, end) + 1 || text.length;
    await db.copyFrom('COPY bare_lines FROM STDIN WITH (FORMAT csv)', text.subarray(start, end));
    start = end;
  }
  report({ figure: 'floor: raw COPY into a bare table', value: Math.round(lines / seconds(t)), unit: 'lines/s', better: 'higher' });
  await db.close();
}
report({ figure: 'floors peak RSS', value: peakRssMb(), unit: 'MB', better: 'lower' });
