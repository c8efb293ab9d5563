/**
 * API under load (autocannon, 50 connections): orders accepted per second with p50/p99, then
 * GET /orders/:id and GET /analytics/kpis p99. The server runs as its own process, as deployed.
 */
import { spawn, execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import { report } from '../lib/report.js';

const BIN = 'bin/ordersys.mjs';
const env = { ...process.env, PORT: process.env.BENCH_PORT ?? '3917', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', GATEWAY_LATENCY_MS: '5-50' };
const cli = (...args: string[]) => execFileSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' }).trim();

cli('seed', '--products', '1000', '--customers', '10000', '--tenant', 'bench');
const key = cli('keys', 'create', '--tenant', 'bench', '--role', 'operator').split('\n').pop()!;
const server = spawn(process.execPath, [BIN, 'serve', '--role', 'all'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += d;
    const m = out.match(/started at (http:\/\/\S+)/);
    if (m) resolve(m[1]!);
  });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const duration = Number(process.env.BENCH_API_SECONDS ?? 15);

let n = 0;
const placed = await autocannon({
  url,
  connections: 50,
  duration,
  requests: [
    {
      method: 'POST',
      path: '/orders',
      headers,
      setupRequest: (req) => {
        n += 1;
        const sku = `SKU-${String(1 + (n % 1000)).padStart(5, '0')}`;
        return { ...req, body: JSON.stringify({ orderCode: `B-${process.pid}-${n}`, customer: { email: `customer-${String(1 + (n % 10000)).padStart(5, '0')}@example.com`, name: 'Bench' }, items: [{ sku, quantity: 1 }] }) };
      },
    },
  ],
});
const accepted = placed['2xx'] / duration;
report({ figure: 'POST /orders accepted', value: Math.round(accepted), unit: 'orders/s', better: 'higher' });
report({ figure: 'POST /orders p50', value: placed.latency.p50, unit: 'ms', better: 'lower' });
report({ figure: 'POST /orders p99', value: placed.latency.p99, unit: 'ms', better: 'lower' });
if (placed.non2xx) report({ figure: 'POST /orders non-2xx answers', value: placed.non2xx, unit: 'requests', better: 'lower' });

const list = (await (await fetch(`${url}/orders?limit=100`, { headers })).json()) as { items: { id: string }[] };
const ids = list.items.map((o) => o.id);
let i = 0;
const getOrder = await autocannon({
  url,
  connections: 50,
  duration: Math.ceil(duration / 2),
  requests: [{ method: 'GET', headers, setupRequest: (req) => ({ ...req, path: `/orders/${ids[i++ % ids.length]}` }) }],
});
report({ figure: 'GET /orders/:id p99', value: getOrder.latency.p99, unit: 'ms', better: 'lower' });
report({ figure: 'GET /orders/:id', value: Math.round(getOrder.requests.average), unit: 'req/s', better: 'higher' });

const today = new Date().toISOString().slice(0, 10);
const kpis = await autocannon({ url: `${url}/analytics/kpis?date=${today}`, headers, connections: 50, duration: Math.ceil(duration / 2) });
report({ figure: 'GET /analytics/kpis p99', value: kpis.latency.p99, unit: 'ms', better: 'lower' });
report({ figure: 'GET /analytics/kpis', value: Math.round(kpis.requests.average), unit: 'req/s', better: 'higher' });

const rss = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(server.pid)], { encoding: 'utf8' }).trim());
report({ figure: 'API server RSS after load', value: Math.round(rss / 1024), unit: 'MB', better: 'lower' });
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
