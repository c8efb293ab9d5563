/**
 * "The usual design", for comparison only: how the systems ordersys replaces process the same
 * file. The whole file in memory; one BullMQ job per order, then a payment job and a callback
 * job per order; each order in its own transaction with SELECT ... FOR UPDATE per product (in
 * the order the lines came, retried on deadlock); KPIs by HINCRBY/ZINCRBY per order.
 */
import { createReadStream } from 'node:fs';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { mapCsv } from '../../src/modules/imports/import-stream.js';
import { demoProductPrice, demoSku } from '../../src/modules/imports/demo-catalog.js';
import { mulberry32 } from '../../src/platform/prng.js';
import { benchFile, benchLines } from '../lib/fixtures.js';
import { peakRssMb, report, seconds } from '../lib/report.js';

const lines = benchLines();
const file = await benchFile(lines);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection = { url: redisUrl, maxRetriesPerRequest: null };
const prefix = `usual-${process.pid}`;

await pool.query(`CREATE TABLE products (sku text PRIMARY KEY, stock int NOT NULL CHECK (stock >= 0), price bigint NOT NULL);
  CREATE TABLE orders (code text PRIMARY KEY, customer text, total bigint, status text, day text);
  CREATE TABLE order_items (order_code text, sku text, qty int, price bigint)`);
// Same catalog and stock as `ordersys seed --seed 1`.
const random = mulberry32(1);
const skus = Array.from({ length: 1000 }, (_, i) => demoSku(i + 1));
await pool.query(`INSERT INTO products SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])`, [
  skus,
  skus.map(() => 20 + Math.floor(random() * 480)),
  skus.map((_, i) => demoProductPrice(i + 1)),
]);

type Line = { sku: string; qty: number; price: number };
const orders = new Map<string, { customer: string; day: string; lines: Line[] }>();
for await (const batch of mapCsv(createReadStream(file))) {
  for (const m of batch) {
    if (!m.ok) continue;
    const o = orders.get(m.row.orderCode) ?? { customer: m.row.customerEmail, day: m.row.orderDate.slice(0, 10), lines: [] };
    o.lines.push({ sku: m.row.sku, qty: m.row.quantity, price: m.row.unitPrice });
    orders.set(m.row.orderCode, o);
  }
}

const redis = new Redis(redisUrl);
const q = { orders: new Queue('orders', { connection, prefix }), payments: new Queue('payments', { connection, prefix }), callbacks: new Queue('callbacks', { connection, prefix }) };
const opts = { attempts: 10, backoff: { type: 'fixed', delay: 10 }, removeOnComplete: true, removeOnFail: 1000 };
let finished = 0;

const t0 = performance.now();
const codes = [...orders.keys()];
for (let i = 0; i < codes.length; i += 1000) {
  await q.orders.addBulk(codes.slice(i, i + 1000).map((code) => ({ name: 'order', data: { code }, opts })));
}

const orderWorker = new Worker(
  'orders',
  async (job) => {
    const code = job.data.code as string;
    const o = orders.get(code)!;
    const total = o.lines.reduce((s, l) => s + l.qty * l.price, 0);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      let short = false;
      for (const l of o.lines) {
        const { rows } = await client.query('SELECT stock FROM products WHERE sku = $1 FOR UPDATE', [l.sku]);
        if ((rows[0]?.stock ?? 0) < l.qty) short = true;
      }
      if (!short) for (const l of o.lines) await client.query('UPDATE products SET stock = stock - $2 WHERE sku = $1', [l.sku, l.qty]);
      await client.query('INSERT INTO orders VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [code, o.customer, total, short ? 'failed' : 'reserved', o.day]);
      for (const l of o.lines) await client.query('INSERT INTO order_items VALUES ($1, $2, $3, $4)', [code, l.sku, l.qty, l.price]);
      await client.query('COMMIT');
      if (short) finished++;
      else await q.payments.add('pay', { code, total }, opts);
    } catch (err) {
      await client.query('ROLLBACK');
      throw err; // deadlocks happen in this design; BullMQ retries
    } finally {
      client.release();
    }
  },
  { connection, prefix, concurrency: 50 },
);
const paymentWorker = new Worker(
  'payments',
  async (job) => {
    const ok = (Number.parseInt(job.data.code.replace(/\D/g, '').slice(-4) || '0', 10) % 100) < 95;
    await q.callbacks.add('callback', { ...job.data, ok }, opts);
  },
  { connection, prefix, concurrency: 50 },
);
const callbackWorker = new Worker(
  'callbacks',
  async (job) => {
    const { code, total, ok } = job.data as { code: string; total: number; ok: boolean };
    const o = orders.get(code)!;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('UPDATE orders SET status = $2 WHERE code = $1', [code, ok ? 'completed' : 'payment_failed']);
      if (!ok) for (const l of o.lines) await client.query('UPDATE products SET stock = stock + $2 WHERE sku = $1', [l.sku, l.qty]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
    if (ok) {
      await redis.hincrby(`${prefix}:kpi:${o.day}`, 'revenue', total);
      await redis.hincrby(`${prefix}:kpi:${o.day}`, 'orders', 1);
      await redis.zincrby(`${prefix}:leaderboard`, total, o.customer);
    }
    finished++;
  },
  { connection, prefix, concurrency: 50 },
);

// Capped: this design can take an hour on a million lines. Throughput is measured over the
// window actually run, on the same file, and the report says how far it got.
const capSeconds = Number(process.env.BENCH_BASELINE_SECONDS ?? 180);
let lastLog = 0;
while (finished < orders.size && seconds(t0) < capSeconds) {
  await new Promise((r) => setTimeout(r, 200));
  if (performance.now() - lastLog > 5000) {
    lastLog = performance.now();
    process.stderr.write(`  usual design: ${finished} of ${orders.size} orders final\n`);
  }
}
const elapsed = seconds(t0);
report({ figure: 'usual design: orders final', value: Math.round(finished / elapsed), unit: 'orders/s', better: 'higher' });
report({ figure: 'usual design: share of the file done in the window', value: Math.round((1000 * finished) / orders.size) / 10, unit: '%', better: 'higher' });
report({ figure: 'usual design: wall time (capped)', value: Math.round(elapsed * 10) / 10, unit: 's', better: 'lower' });
report({ figure: 'usual design peak RSS', value: peakRssMb(), unit: 'MB', better: 'lower' });

await Promise.all([orderWorker.close(true), paymentWorker.close(true), callbackWorker.close(true)]);
await Promise.all(Object.values(q).map((queue) => queue.obliterate({ force: true }).then(() => queue.close())));
const keys = await redis.keys(`${prefix}:*`);
if (keys.length) await redis.del(...keys);
redis.disconnect();
await pool.end();
