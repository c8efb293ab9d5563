/**
 * API under load (autocannon, 50 connections): orders accepted per second with p50/p99, then
 * GET /orders/:id and GET /analytics/kpis p99. The server runs as its own process, as deployed:
 * on PostgreSQL an `api` process measured here and a `worker` process reserving, paying and
 * projecting the orders it takes (BENCH_API_ROLES: `api+worker`, the default there; `api` alone,
 * no workers, to see what the API does with the machine to itself; `all`, both roles in one
 * `serve --role all`, as the embedded default must). Each phase also reports the CPU each
 * process and the whole machine spent, to say where the time goes.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { report } from '../lib/report.js';
import { cpuProfileArgs } from '../lib/profile.js';

const BIN = 'bin/ordersys.mjs';
const env = { ...process.env, PORT: process.env.BENCH_PORT ?? '3917', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', GATEWAY_LATENCY_MS: '5-50' };
const cli = (...args: string[]) => execFileSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' }).trim();
const roles = process.env.DATABASE_URL ? (process.env.BENCH_API_ROLES ?? 'api+worker') : 'all';
if (!['api+worker', 'api', 'all'].includes(roles)) throw new Error(`BENCH_API_ROLES=${roles}: use api+worker, api or all`);
const split = roles !== 'all';

function serve(role: 'api' | 'worker' | 'all'): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...cpuProfileArgs(), BIN, 'serve', '--role', role], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (/ started/.test(out)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`${role} process exited with ${code}`)));
  });
}

/** CPU seconds a process has used so far (user + system). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/** CPU seconds the whole machine has been busy so far, over all cores. */
function machineBusy(): number {
  const [, ...t] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (t.reduce((a, b) => a + b, 0) - t[3]! - t[4]!) / 100;
}

cli('seed', '--products', '1000', '--customers', '10000', '--tenant', 'bench');
const key = cli('keys', 'create', '--tenant', 'bench', '--role', 'operator').split('\n').pop()!;
const server = await serve(split ? 'api' : 'all');
const worker = roles === 'api+worker' ? await serve('worker') : undefined;
const url = `http://127.0.0.1:${env.PORT}`;
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const duration = Number(process.env.BENCH_API_SECONDS ?? 15);

/** Runs one load phase and reports the share of a core each process used during it. */
async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const before = { api: cpuOf(server.pid!), worker: worker ? cpuOf(worker.pid!) : 0, machine: machineBusy() };
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const pct = (cpu: number) => Math.round((100 * cpu) / seconds);
  report({ figure: `${name}: ${split ? 'API' : 'server'} process CPU`, value: pct(cpuOf(server.pid!) - before.api), unit: '% of a core', better: 'lower' });
  if (worker) report({ figure: `${name}: worker process CPU`, value: pct(cpuOf(worker.pid!) - before.worker), unit: '% of a core', better: 'lower' });
  report({ figure: `${name}: machine busy (2 cores = 200)`, value: pct(machineBusy() - before.machine), unit: '% of a core', better: 'lower' });
  return result;
}

let n = 0;
const placed = await phase('POST /orders', () =>
  autocannon({
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
  }),
);
const accepted = placed['2xx'] / duration;
report({ figure: 'POST /orders accepted', value: Math.round(accepted), unit: 'orders/s', better: 'higher' });
report({ figure: 'POST /orders p50', value: placed.latency.p50, unit: 'ms', better: 'lower' });
report({ figure: 'POST /orders p99', value: placed.latency.p99, unit: 'ms', better: 'lower' });
if (placed.non2xx) report({ figure: 'POST /orders non-2xx answers', value: placed.non2xx, unit: 'requests', better: 'lower' });

/** How far the workflow kept up as the load stopped: orders reserved (or refused) and orders final. */
if (worker || !split) {
  const res = await fetch(`${url}/dashboard/summary`, { headers });
  if (!res.ok) throw new Error(`GET /dashboard/summary answered ${res.status}: ${await res.text()}`);
  const summary = (await res.json()) as { total: number; statuses: { status: string; count: number }[] };
  const count = (...statuses: string[]) => summary.statuses.filter((s) => statuses.includes(s.status)).reduce((sum, s) => sum + s.count, 0);
  const share = (n: number) => Math.round((100 * n) / Math.max(1, summary.total));
  report({ figure: 'POST /orders: placed orders past pending when the load stopped', value: share(summary.total - count('pending')), unit: '%', better: 'higher' });
  report({ figure: 'POST /orders: placed orders final (paid or failed) when the load stopped', value: share(count('completed', 'failed', 'payment_failed')), unit: '%', better: 'higher' });
}

const list = (await (await fetch(`${url}/orders?limit=100`, { headers })).json()) as { items: { id: string }[] };
const ids = list.items.map((o) => o.id);
let i = 0;
const getOrder = await phase('GET /orders/:id', () =>
  autocannon({
    url,
    connections: 50,
    duration: Math.ceil(duration / 2),
    requests: [{ method: 'GET', headers, setupRequest: (req) => ({ ...req, path: `/orders/${ids[i++ % ids.length]}` }) }],
  }),
);
report({ figure: 'GET /orders/:id p99', value: getOrder.latency.p99, unit: 'ms', better: 'lower' });
report({ figure: 'GET /orders/:id', value: Math.round(getOrder.requests.average), unit: 'req/s', better: 'higher' });

const today = new Date().toISOString().slice(0, 10);
const kpis = await phase('GET /analytics/kpis', () => autocannon({ url: `${url}/analytics/kpis?date=${today}`, headers, connections: 50, duration: Math.ceil(duration / 2) }));
report({ figure: 'GET /analytics/kpis p99', value: kpis.latency.p99, unit: 'ms', better: 'lower' });
report({ figure: 'GET /analytics/kpis', value: Math.round(kpis.requests.average), unit: 'req/s', better: 'higher' });

const rss = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(server.pid)], { encoding: 'utf8' }).trim());
report({ figure: `${split ? 'API' : 'server'} process RSS after load`, value: Math.round(rss / 1024), unit: 'MB', better: 'lower' });
for (const child of [server, worker]) {
  if (!child) continue;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}
