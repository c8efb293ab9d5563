/*
 * Fault suite (`npm run chaos`): one API and two worker processes on a fresh PostgreSQL database
 * and a private Redis, every webhook delivered twice, late and out of order across processes,
 * SMTP refusing. While a generated CSV is imported and its orders flow through the workflow,
 * workers are SIGKILLed (during the import, reservation batches and the KPI projector) and
 * restarted, and Redis is killed and restarted. Then: every order must reach a final state,
 * `ordersys verify --final` and `ordersys kpi verify` must pass, nothing lost, nothing doubled,
 * and no order reserved by both workers. Exits 1 on any failure.
 *
 * Env: CHAOS_LINES (default 50000), CHAOS_SEED (1), CHAOS_PG (admin URL, default
 * DATABASE_URL's server or postgres://postgres@127.0.0.1:5432), CHAOS_REDIS_PORT (6390),
 * CHAOS_TIMEOUT_S (900), CHAOS_RESTART_POSTGRES=1 (restarts the local cluster: disruptive),
 * CHAOS_KILL_IMPORT=1 (also SIGKILL the workers during the import's phase 2: the import then
 * waits for imports_materialize's pg-boss expiry, an hour), CHAOS_KEEP=1 (keep the database).
 *
 * A worker SIGKILLed mid-job leaves the job 'active' until pg-boss expires it (orders_reserve
 * and payments_request: 300 s), so a run takes at least that long after its last kill.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { demoSku } from '../../src/modules/imports/demo-catalog.js';
import { writeGeneratedCsv } from '../../src/modules/imports/generate-csv.js';
import { mapCsv } from '../../src/modules/imports/import-stream.js';
import { BIN, cliEnv, runCli } from '../cli.js';

const LINES = Number(process.env.CHAOS_LINES ?? 50_000);
/** Orders also placed through POST /orders, one reservation job each: spread over both workers. */
const API_ORDERS = Number(process.env.CHAOS_API_ORDERS ?? 400);
const SEED = Number(process.env.CHAOS_SEED ?? 1);
const TIMEOUT_MS = Number(process.env.CHAOS_TIMEOUT_S ?? 900) * 1000;
const REDIS_PORT = Number(process.env.CHAOS_REDIS_PORT ?? 6390);
const RESTART_PG = process.env.CHAOS_RESTART_POSTGRES === '1';
const KILL_IMPORT = process.env.CHAOS_KILL_IMPORT === '1';
const adminUrl = new URL(process.env.CHAOS_PG ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
adminUrl.pathname = '/postgres';

const started = Date.now();
const failures: string[] = [];
const secs = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (msg: string) => console.log(`[chaos ${secs()}] ${msg}`);
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok    ' : 'FAILED'}  ${what}`);
  if (!ok) failures.push(what);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** An SMTP server that refuses every session: notifications must retry, never block orders. */
async function refusingSmtp(): Promise<{ port: number; close(): void }> {
  const server = createServer((socket) => socket.end('554 5.3.2 chaos: service refused\r\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

interface Proc {
  name: string;
  child: ChildProcess;
  stdout: string;
}
const procs = new Map<string, Proc>();
/** Every pid a worker role ever had, for the scale-out report. */
const reserveBatches: { pid: number; worker: string; orderIds: string[] }[] = [];
const killedPids = new Set<number>();

function startRole(name: string, role: 'api' | 'worker', env: NodeJS.ProcessEnv): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, 'serve', '--role', role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { name, child, stdout: '' };
  procs.set(name, proc);
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (proc.stdout.length < 20_000) proc.stdout += `${line}\n`;
      if (!line.includes('orders_reserve batch')) continue;
      const entry = JSON.parse(line) as { pid: number; orderIds: string[] };
      reserveBatches.push({ pid: entry.pid, worker: name, orderIds: entry.orderIds });
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    if (proc.stdout.length < 20_000) proc.stdout += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after 60 s:\n${proc.stdout}`)), 60_000);
    const onData = () => {
      if (!/ordersys (api|worker) started/.test(proc.stdout)) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(proc);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!/started/.test(proc.stdout)) reject(new Error(`${name} exited with ${code} before it was ready:\n${proc.stdout}`));
    });
  });
}

async function stopProc(name: string, signal: NodeJS.Signals): Promise<void> {
  const proc = procs.get(name);
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((r) => proc.child.once('exit', r));
  if (signal === 'SIGKILL' && proc.child.pid) killedPids.add(proc.child.pid);
  proc.child.kill(signal);
  await exited;
}

function startRedis(): ChildProcess {
  return spawn('redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

async function waitFor(what: string, ms: number, ready: () => Promise<boolean>, every = 500): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ready().catch(() => false)) return true;
    await sleep(every);
  }
  log(`gave up waiting for ${what} after ${ms / 1000} s`);
  return false;
}

function post(url: string, headers: Record<string, string>, body: NodeJS.ReadableStream | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else body.pipe(req);
  });
}

async function get(url: string, key: string): Promise<unknown> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  return res.json();
}

let cleanup: (() => Promise<void>) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the processes and dropping the database`);
    void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const dbName = `ordersys_chaos_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  let db = new pg.Client({ connectionString: dbUrl.toString() });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-chaos-'));
  let redis = startRedis();
  const smtp = await refusingSmtp();
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const env = cliEnv({
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
    ORDERSYS_SECRET: randomBytes(32).toString('hex'),
    ORDERSYS_DATA_DIR: dir,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(apiPort),
    RATE_LIMIT_PER_MINUTE: '0',
    GATEWAY_DUPLICATE_RATE: '1',
    GATEWAY_LATE_RATE: '0.2',
    GATEWAY_OUT_OF_ORDER_MS: '3000',
    GATEWAY_DELIVERY: 'http',
    GATEWAY_WEBHOOK_URL: `${apiUrl}/webhooks/payments`,
    RESERVATION_HOLD_MINUTES: '1',
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    NOTIFY_RETRY_BASE_MS: '1000',
  });
  const workerEnv = { ...env, LOG_LEVEL: 'debug' };
  const cli = async (args: string[]) => {
    const res = await runCli(args, env, 600_000);
    if (res.code !== 0) throw new Error(`ordersys ${args.join(' ')} exited ${res.code}:\n${res.stdout}\n${res.stderr}`);
    return res;
  };
  cleanup = makeCleanup({ redis: () => redis, smtp, db: () => db, admin, dbName, dir });
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);

  try {
    await waitFor('private redis', 10_000, async () => spawnSync('redis-cli', ['-p', String(REDIS_PORT), 'ping']).stdout?.toString().includes('PONG'));
    log(`database ${dbName}, redis :${REDIS_PORT}, refusing SMTP :${smtp.port}, API :${apiPort}`);
    await cli(['migrate']);
    await db.connect();
    log((await cli(['seed'])).stdout.trim());
    const key = (await cli(['keys', 'create', '--tenant', 'demo', '--role', 'admin', '--name', 'chaos'])).stdout.trim();

    await startRole('api', 'api', env);
    await Promise.all([startRole('worker-1', 'worker', workerEnv), startRole('worker-2', 'worker', workerEnv)]);
    log('api and two workers started');

    const file = path.join(dir, 'chaos.csv');
    await writeGeneratedCsv({ lines: LINES, seed: SEED, errorRate: 0.01 }, createWriteStream(file));
    log(`generated ${LINES} lines (${statSync(file).size} bytes)`);

    // Chaos runs alongside the import and the workflow; each fault waits for its moment.
    const faults: string[] = [];
    const restartWorker = async (name: string, why: string) => {
      await stopProc(name, 'SIGKILL');
      faults.push(`SIGKILL ${name} ${why} at ${secs()}`);
      log(`SIGKILLed ${name} ${why}`);
      await sleep(1500);
      await startRole(name, 'worker', workerEnv);
    };
    const activeJobs = (name: string) => count(`SELECT count(*) AS n FROM pgboss.job WHERE name = $1 AND state = 'active'`, [name]);
    let importDone = false;
    const chaos = (async () => {
      // During the import: phase 2 is a job in one of the workers. Killing its holder stalls the
      // import until the job's pg-boss expiry (imports_materialize: 3600 s), so it is opt-in.
      if (KILL_IMPORT && (await waitFor('imports_materialize to run', 120_000, async () => (await activeJobs('imports_materialize')) > 0, 100))) {
        await Promise.all([restartWorker('worker-1', 'during the import (materialize)'), restartWorker('worker-2', 'during the import (materialize)')]);
      }
      const reserving = async () => !importDone || (await count(`SELECT count(*) AS n FROM orders WHERE status = 'pending'`)) > 0
        ? (await activeJobs('orders_reserve')) > 0 || (await count(`SELECT count(*) AS n FROM order_events WHERE type = 'order.reserved'`)) > 0
        : false;
      if (await waitFor('reservation batches', 120_000, reserving, 50)) {
        await restartWorker('worker-2', 'during reservation batches');
      }
      redis.kill('SIGKILL');
      faults.push(`SIGKILL redis at ${secs()}`);
      log('killed redis; restarting it in 5 s');
      await sleep(5000);
      redis = startRedis();
      if (RESTART_PG) {
        log('restarting PostgreSQL (CHAOS_RESTART_POSTGRES=1)');
        const version = process.env.CHAOS_PG_VERSION ?? '15';
        const res = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'inherit' });
        faults.push(`PostgreSQL restart (exit ${res.status}) at ${secs()}`);
        await db.end().catch(() => undefined);
        await waitFor('postgres', 60_000, async () => spawnSync('pg_isready', ['-h', adminUrl.hostname, '-p', adminUrl.port || '5432']).status === 0);
        db = new pg.Client({ connectionString: dbUrl.toString() });
        await db.connect();
      } else {
        log('PostgreSQL restart skipped (set CHAOS_RESTART_POSTGRES=1 to restart the local cluster mid-run)');
      }
      if (await waitFor('reservation batches (again)', 60_000, async () => (await activeJobs('orders_reserve')) > 0, 50)) {
        await restartWorker('worker-1', 'during reservation batches');
      }
      if (await waitFor('the KPI projector', 150_000, async () => (await activeJobs('analytics_project')) > 0, 50)) {
        await Promise.all([restartWorker('worker-1', 'during the KPI projector'), restartWorker('worker-2', 'during the KPI projector')]);
      }
    })();

    // API orders while the import runs: each is its own orders_reserve job, so both workers take some.
    let apiCreated = 0;
    const apiOrders = (async () => {
      for (let i = 0; i < API_ORDERS; i += 10) {
        const answers = await Promise.all(Array.from({ length: Math.min(10, API_ORDERS - i) }, async (_, j) => {
          const n = i + j;
          const body = JSON.stringify({
            orderCode: `API-${SEED}-${n}`,
            customer: { email: `chaos-${n % 50}@example.com`, name: 'Chaos Buyer' },
            items: [{ sku: demoSku(1 + ((n * 7) % 1000)), quantity: 1 }, { sku: demoSku(1 + ((n * 13) % 1000)), quantity: 1 }],
          });
          return post(`${apiUrl}/orders`, { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `chaos-${n}` }, body).catch(() => ({ status: 0, body: '' }));
        }));
        apiCreated += answers.filter((a) => a.status === 201).length;
        await sleep(100);
      }
    })();

    const size = statSync(file).size;
    const upload = await post(`${apiUrl}/imports?fileName=chaos.csv`, { authorization: `Bearer ${key}`, 'content-type': 'text/csv', 'content-length': String(size) }, createReadStream(file));
    if (upload.status !== 202) throw new Error(`POST /imports answered ${upload.status}: ${upload.body}`);
    const importId = (JSON.parse(upload.body) as { id: string }).id;
    log(`upload read (import ${importId}); phase 2 runs in the workers`);
    const imported = await waitFor('the import to finish', TIMEOUT_MS, async () => {
      const imp = (await get(`${apiUrl}/imports/${importId}`, key)) as { status: string };
      return imp.status === 'completed' || imp.status === 'failed';
    }, 1000);
    importDone = true;
    check(imported, 'the import finished');
    await chaos;
    await apiOrders;
    log(`${apiCreated} of ${API_ORDERS} orders placed through POST /orders`);

    log('waiting for every order to be final (a killed job waits for its pg-boss expiry before it is retried)');
    const notFinal = `SELECT count(*) AS n FROM orders WHERE status IN ('pending', 'reserved')`;
    const allFinal = await waitFor('every order final', Math.max(60_000, TIMEOUT_MS - (Date.now() - started)), async () => (await count(notFinal)) === 0, 2000);
    check(allFinal, `every order final (${await count(notFinal)} still pending or reserved)`);
    // Late and duplicate webhooks keep arriving for a few seconds after the last transition.
    await sleep(GATEWAY_SETTLE_MS);

    log('restarting the processes normally');
    await Promise.all([...procs.keys()].map((n) => stopProc(n, 'SIGTERM')));
    await startRole('api', 'api', env);
    await Promise.all([startRole('worker-1', 'worker', workerEnv), startRole('worker-2', 'worker', workerEnv)]);
    // The projector runs each minute: let it catch up with the ledger before comparing.
    await waitFor('the KPI projector to catch up', 150_000, async () => (await runCli(['kpi', 'verify', '--tenant', 'demo'], env)).code === 0, 5000);

    const verify = await runCli(['verify', '--final'], env, 600_000);
    console.log(verify.stdout.trim());
    check(verify.code === 0, 'ordersys verify --final exits 0');
    const kpi = await runCli(['kpi', 'verify', '--tenant', 'demo'], env);
    console.log(kpi.stdout.trim(), kpi.stderr.trim());
    check(kpi.code === 0, 'ordersys kpi verify --tenant demo exits 0');

    const imp = (await db.query<Record<string, string>>(`SELECT status, lines_read, lines_accepted, lines_rejected, orders_created, orders_rejected FROM imports WHERE id = $1`, [importId])).rows[0]!;
    log(`import: ${JSON.stringify(imp)}`);
    check(imp.status === 'completed', `the import completed (${imp.status})`);
    check(Number(imp.lines_read) === LINES, `every line read (${imp.lines_read} of ${LINES})`);
    check(Number(imp.lines_accepted) + Number(imp.lines_rejected) === LINES, 'accepted + rejected = lines read');
    const orders = await count(`SELECT count(*) AS n FROM orders`);
    check(orders === Number(imp.orders_created) + apiCreated, `orders = imported orders + API orders (${orders} vs ${imp.orders_created} + ${apiCreated})`);
    const items = await count(`SELECT coalesce(sum(quantity), 0) AS n FROM order_items`);
    const itemLines = await count(`SELECT count(*) AS n FROM order_items`);
    log(`${orders} orders, ${itemLines} items (${items} units)`);
    // Every accepted line is an order item: re-read the file, keep the good lines of orders that
    // exist, merge a repeated SKU in one order (as grouping does), and compare with order_items.
    const importedCodes = new Set((await db.query<{ c: string }>(`SELECT order_code AS c FROM orders WHERE source = 'import'`)).rows.map((r) => r.c));
    let goodLines = 0;
    const pairs = new Set<string>();
    for await (const batch of mapCsv(createReadStream(file))) {
      for (const l of batch) if (l.ok && importedCodes.has(l.row.orderCode)) { goodLines++; pairs.add(`${l.row.orderCode}\u0000${l.row.sku}`); }
    }
    const importItems = await count(`SELECT count(*) AS n FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.source = 'import'`);
    check(goodLines === Number(imp.lines_accepted), `accepted lines are exactly the good lines of the imported orders (${imp.lines_accepted} vs ${goodLines})`);
    check(pairs.size === importItems, `each accepted line is an order item (${importItems} items for ${pairs.size} order/SKU pairs)`);

    const doubled = async (what: string, sql: string) => {
      const n = await count(sql);
      check(n === 0, `${what} (${n})`);
    };
    await doubled('no order completed twice', `SELECT count(*) AS n FROM (SELECT order_id FROM order_events WHERE type = 'order.completed' GROUP BY order_id HAVING count(*) > 1) x`);
    await doubled('every completed order has exactly one order.completed event',
      `SELECT count(*) AS n FROM orders o WHERE o.status IN ('completed', 'shipped', 'delivered') AND (SELECT count(*) FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.completed') <> 1`);
    await doubled('no order reserved twice', `SELECT count(*) AS n FROM (SELECT order_id FROM order_events WHERE type = 'order.reserved' GROUP BY order_id HAVING count(*) > 1) x`);
    await doubled('at most one succeeded payment per order', `SELECT count(*) AS n FROM (SELECT order_id FROM payments WHERE status = 'succeeded' GROUP BY order_id HAVING count(*) > 1) x`);
    await doubled('each completed order has one succeeded payment',
      `SELECT count(*) AS n FROM orders o WHERE o.status IN ('completed', 'shipped', 'delivered') AND (SELECT count(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded') <> 1`);
    await doubled('at most one terminal event per order',
      `SELECT count(*) AS n FROM (SELECT order_id FROM order_events WHERE type IN ('order.completed', 'order.failed', 'order.payment_failed') GROUP BY order_id HAVING count(*) > 1) x`);
    const byStatus = (await db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1`)).rows;
    log(`orders by status: ${byStatus.map((r) => `${r.status} ${r.n}`).join(', ')}`);
    const gateway = await count(`SELECT count(*) AS n FROM gateway_events`);
    log(`gateway events applied once each: ${gateway}`);

    // Scale-out: both workers reserved, and no order id appears in batches of two processes.
    const byPid = new Map<number, Set<string>>();
    for (const b of reserveBatches) {
      const set = byPid.get(b.pid) ?? new Set<string>();
      for (const id of b.orderIds) set.add(id);
      byPid.set(b.pid, set);
    }
    // An order handed to two processes is fine only when the first was killed mid-batch (its
    // transaction rolled back and pg-boss retried the job); between live processes it is a bug.
    const owners = new Map<string, number>();
    let shared = 0;
    let sharedLive = 0;
    for (const [pid, ids] of byPid) for (const id of ids) {
      const other = owners.get(id);
      if (other !== undefined && other !== pid) {
        shared++;
        if (!killedPids.has(pid) && !killedPids.has(other)) sharedLive++;
      }
      owners.set(id, pid);
    }
    const reservedEvents = await count(`SELECT count(DISTINCT order_id) AS n FROM order_events WHERE type = 'order.reserved'`);
    log(`reservation batches per worker pid: ${[...byPid].map(([pid, ids]) => `${pid}: ${reserveBatches.filter((b) => b.pid === pid).length} batches, ${ids.size} orders`).join('; ')}`);
    check(byPid.size >= 2, `reservation batches ran in at least two worker processes (${byPid.size} pids)`);
    // A batch cut short by SIGKILL is retried by another process: those orders are listed twice
    // in the logs but reserved once (checked above by order.reserved events); report them apart.
    log(`orders handed to more than one process: ${shared} (all after a kill: ${sharedLive === 0}); orders reserved (one event each): ${reservedEvents}`);
    check(sharedLive === 0, `the order sets of worker processes that were not killed are disjoint (${sharedLive} shared)`);
    log(`faults: ${faults.join('; ')}`);
  } finally {
    await cleanup();
  }
}

function makeCleanup(o: { redis: () => ChildProcess; smtp: { close(): void }; db: () => pg.Client; admin: pg.Client; dbName: string; dir: string }) {
  let done: Promise<void> | undefined;
  return () => (done ??= (async () => {
    const { admin, dbName, dir } = o;
    await Promise.all([...procs.keys()].map((n) => stopProc(n, 'SIGTERM')));
    o.redis().kill('SIGKILL');
    o.smtp.close();
    await o.db().end().catch(() => undefined);
    if (process.env.CHAOS_KEEP !== '1') await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    else log(`kept database ${dbName}`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  })());
}

const GATEWAY_SETTLE_MS = 8000;

main().then(
  () => {
    log(failures.length === 0 ? 'chaos: PASSED' : `chaos: FAILED (${failures.length}): ${failures.join('; ')}`);
    process.exit(failures.length === 0 ? 0 : 1);
  },
  (err: unknown) => {
    console.error(err);
    for (const p of procs.values()) {
      console.error(`--- ${p.name} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}) output (head) ---\n${p.stdout.slice(0, 4000)}`);
    }
    log('chaos: FAILED (error)');
    process.exit(1);
  },
);
