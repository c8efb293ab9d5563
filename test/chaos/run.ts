/*
 * Fault suite (`npm run chaos`, `npm run chaos -- --short` in CI): one API and two worker
 * processes on PostgreSQL and Redis of their own, every payment webhook delivered twice, late and
 * out of order across processes, SMTP refusing. While a generated CSV is imported and API orders
 * stream in, the run:
 *   - SIGKILLs a worker in the middle of an import chunk, of a reservation batch, and (both
 *     workers) of a KPI projection, and restarts it;
 *   - kills Redis and starts it again (empty: it keeps nothing);
 *   - crashes PostgreSQL (immediate stop) and starts it again; no process is restarted for it.
 * Each kill lands mid-work deterministically: a barrier (a table lock the step needs, or a Redis
 * write pause) holds the step, the run waits until it sees the worker blocked on it, kills the
 * worker, then lifts the barrier. Then every order must reach a final state, `ordersys verify
 * --final` and `ordersys kpi verify` must pass, nothing may be lost or doubled, and two
 * processes never work on one order except through a retry. Exits 1 on any failure.
 *
 * PostgreSQL: a private cluster in a temporary directory (initdb on PATH or under
 * /usr/lib/postgresql), so the crash disturbs no one else. CHAOS_PG=postgres://... uses that
 * server instead and skips the crash unless CHAOS_RESTART_POSTGRES=1, which restarts the local
 * Debian cluster (pg_ctlcluster): every other client of that server sees it.
 *
 * Env: CHAOS_LINES, CHAOS_API_ORDERS (defaults 50,000 and 400; --short: 3,000 and 150),
 * CHAOS_SEED (1), CHAOS_TIMEOUT_S (900; --short: 300), CHAOS_KEEP=1 (keep the database of an
 * external server). Recovery from a kill takes up to a job's expiry (60 s) plus pg-boss's
 * maintenance interval (15 s); orders whose webhooks died with a worker wait for their
 * reservation hold (1 minute here) and the sweep that cancels it.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { demoSku } from '../../src/modules/imports/demo-catalog.js';
import { writeGeneratedCsv } from '../../src/modules/imports/generate-csv.js';
import { mapCsv } from '../../src/modules/imports/import-stream.js';
import { cliEnv, runCli } from '../cli.js';
import { Processes } from './processes.js';
import { freePort, postgresBinDir, redisCli, refusingSmtp, sleep, startPrivatePostgres, startRedis, type PrivatePostgres } from './services.js';

const SHORT = process.argv.includes('--short');
const LINES = Number(process.env.CHAOS_LINES ?? (SHORT ? 3_000 : 50_000));
/** Orders also placed through POST /orders, one reservation job each: spread over both workers. */
const API_ORDERS = Number(process.env.CHAOS_API_ORDERS ?? (SHORT ? 150 : 400));
const SEED = Number(process.env.CHAOS_SEED ?? 1);
const TIMEOUT_MS = Number(process.env.CHAOS_TIMEOUT_S ?? (SHORT ? 300 : 900)) * 1000;
/** API orders are spread over about this long (the faults happen in the first ~30 s of it). */
const API_ORDER_WINDOW_MS = SHORT ? 40_000 : 90_000;
/** How long a barrier waits for a worker to run into it before the fault counts as missed. */
const BARRIER_WAIT_MS = 60_000;
/** Late and duplicate webhooks keep arriving for a few seconds after the last transition. */
const GATEWAY_SETTLE_MS = 8000;

const started = Date.now();
const failures: string[] = [];
let passed = 0;
const secs = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (msg: string) => console.log(`[chaos ${secs()}] ${msg}`);
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok    ' : 'FAILED'}  ${what}`);
  if (ok) passed++;
  else failures.push(what);
};

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
      res.on('error', reject);
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else body.pipe(req);
  });
}

/** A server of our own when the binaries are there; CHAOS_PG names an existing one instead. */
async function postgresServer(): Promise<{ adminUrl: URL; cluster?: PrivatePostgres }> {
  if (process.env.CHAOS_PG) return { adminUrl: new URL(process.env.CHAOS_PG) };
  const bin = postgresBinDir();
  if (!bin) throw new Error('no initdb on PATH or under /usr/lib/postgresql: install PostgreSQL, or set CHAOS_PG to a server to use');
  const cluster = await startPrivatePostgres(bin);
  return { adminUrl: new URL(cluster.url), cluster };
}

let cleanup: (() => Promise<void>) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the processes and the servers`);
    void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const procs = new Processes();

async function main(): Promise<void> {
  const { adminUrl, cluster } = await postgresServer();
  const dbName = `ordersys_chaos_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  /** Each process names its connections, so the run sees in pg_stat_activity who waits on what. */
  const urlFor = (name: string) => {
    const u = new URL(dbUrl);
    u.searchParams.set('application_name', `chaos-${name}`);
    return u.toString();
  };
  // A pool, not a client: it reconnects by itself after the PostgreSQL crash.
  const db = new pg.Pool({ connectionString: urlFor('runner'), max: 4 });
  db.on('error', () => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-chaos-'));
  const redisPort = await freePort();
  let redis: ChildProcess = startRedis(redisPort);
  const smtp = await refusingSmtp();
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const env = cliEnv({
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
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
  // Workers log each reservation batch (debug) with their pid: the scale-out evidence.
  const roleEnv = (name: string) => ({ ...env, DATABASE_URL: urlFor(name), ...(name.startsWith('worker') && { LOG_LEVEL: 'debug' }) });
  const startApi = () => procs.start('api', 'api', roleEnv('api'));
  const startWorker = (name: string) => procs.start(name, 'worker', roleEnv(name));
  const cli = async (args: string[]) => {
    const res = await runCli(args, env, 600_000);
    if (res.code !== 0) throw new Error(`ordersys ${args.join(' ')} exited ${res.code}:\n${res.stdout}\n${res.stderr}`);
    return res;
  };
  cleanup = (() => {
    let done: Promise<void> | undefined;
    return () => (done ??= (async () => {
      await procs.stopAll();
      redis.kill('SIGKILL');
      smtp.close();
      await db.end().catch(() => undefined);
      if (cluster) cluster.stop();
      else if (process.env.CHAOS_KEEP === '1') log(`kept database ${dbName}`);
      else {
        const a = new pg.Client({ connectionString: adminUrl.toString() });
        await a.connect().then(() => a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch(() => undefined);
        await a.end().catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    })());
  })();
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);

  try {
    await waitFor('private redis', 10_000, async () => redisCli(redisPort, 'ping').includes('PONG'), 200);
    log(`database ${dbName} on ${cluster ? 'a private cluster' : 'CHAOS_PG'} (${adminUrl.host}), redis :${redisPort}, refusing SMTP :${smtp.port}, API :${apiPort}`);
    await cli(['migrate']);
    log((await cli(['seed'])).stdout.trim());
    const key = (await cli(['keys', 'create', '--tenant', 'demo', '--role', 'admin', '--name', 'chaos'])).stdout.trim();
    const file = path.join(dir, 'chaos.csv');
    await writeGeneratedCsv({ lines: LINES, seed: SEED, errorRate: 0.01 }, createWriteStream(file));
    log(`generated ${LINES} lines (${statSync(file).size} bytes)`);

    await Promise.all([startApi(), startWorker('worker-1'), startWorker('worker-2')]);
    log('api and two workers started');

    const faults: string[] = [];
    const fault = (ok: boolean, what: string) => {
      faults.push(`${what} at ${secs()}`);
      check(ok, what);
    };
    const restartWorker = async (name: string) => {
      await sleep(1000);
      await startWorker(name);
    };

    /**
     * Takes a SHARE lock on `table`: a worker step that writes it waits. kill() then waits until
     * a worker's `statement` is blocked on it, SIGKILLs that worker and lifts the lock, so the
     * worker dies inside the step's transaction with its job active.
     */
    const barrier = async (table: string) => {
      const client = await db.connect();
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${table} IN SHARE MODE`);
      return async (what: string, statement: string): Promise<void> => {
        let victim: string | undefined;
        try {
          await waitFor(what, BARRIER_WAIT_MS, async () => {
            const { rows } = await db.query<{ app: string }>(
              `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE NOT l.granted AND l.relation = $1::regclass AND a.application_name LIKE 'chaos-worker-%' AND a.query LIKE $2 LIMIT 1`,
              [table, `%${statement}%`],
            );
            victim = rows[0]?.app.replace(/^chaos-/, '');
            return victim !== undefined;
          }, 50);
          if (victim) await procs.stop(victim, 'SIGKILL');
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
          client.release();
        }
        fault(victim !== undefined, `SIGKILL ${victim ?? 'a worker'} ${what}`);
        if (victim) await restartWorker(victim);
      };
    };

    // 1. The import: the upload's phase 1 runs in the API; its phase 2 job is killed mid-chunk.
    const killInImport = await barrier('customers');
    const upload = await post(`${apiUrl}/imports?fileName=chaos.csv`, { authorization: `Bearer ${key}`, 'content-type': 'text/csv', 'content-length': String(statSync(file).size) }, createReadStream(file));
    if (upload.status !== 202) throw new Error(`POST /imports answered ${upload.status}: ${upload.body}`);
    const importId = (JSON.parse(upload.body) as { id: string }).id;
    log(`upload read (import ${importId}); phase 2 runs in the workers`);
    await killInImport('inside an import chunk (imports_materialize)', 'INSERT INTO customers');

    // 2. API orders from now on, ten at a time, spread over the faults that follow so each finds
    // work in flight; each order is its own reservation job. A request cut off by a fault is
    // sent again with its Idempotency-Key until it is answered: none may be lost or doubled.
    const apiPause = API_ORDER_WINDOW_MS / Math.ceil(API_ORDERS / 10);
    const apiOrders = (async () => {
      let created = 0;
      for (let i = 0; i < API_ORDERS; i += 10) {
        const answers = await Promise.all(Array.from({ length: Math.min(10, API_ORDERS - i) }, async (_, j) => {
          const n = i + j;
          const body = JSON.stringify({
            orderCode: `API-${SEED}-${n}`,
            customer: { email: `chaos-${n % 50}@example.com`, name: 'Chaos Buyer' },
            items: [{ sku: demoSku(1 + ((n * 7) % 1000)), quantity: 1 }, { sku: demoSku(1 + ((n * 13) % 1000)), quantity: 1 }],
          });
          const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `chaos-${n}` };
          for (let attempt = 0; attempt < 120; attempt++) {
            const res = await post(`${apiUrl}/orders`, headers, body).catch(() => ({ status: 0, body: '' }));
            if (res.status === 201 || res.status === 200) return true;
            if (res.status >= 400 && res.status < 500 && res.status !== 409) throw new Error(`POST /orders answered ${res.status}: ${res.body}`);
            await sleep(500);
          }
          return false;
        }));
        created += answers.filter(Boolean).length;
        await sleep(apiPause);
      }
      return created;
    })();

    // 3. A reservation batch, mid-transaction (its products already updated).
    const killInReservation = await barrier('stock_reservations');
    await killInReservation('inside a reservation batch (orders_reserve)', 'INSERT INTO stock_reservations');

    // 4. Redis away for five seconds; it comes back empty and the projector rebuilds the KPIs.
    redis.kill('SIGKILL');
    log('killed redis; restarting it in 5 s');
    await sleep(5000);
    redis = startRedis(redisPort);
    fault(await waitFor('redis back', 10_000, async () => redisCli(redisPort, 'ping').includes('PONG'), 200), 'SIGKILL redis, restarted after 5 s');

    // 5. Both workers inside a projection: writes paused, so a projector that read its chunk
    // waits in the script that applies it and its checkpoint.
    redisCli(redisPort, 'client', 'pause', '10000', 'write');
    const midApply = await waitFor('a projector applying a chunk', 8_000, async () => /flags=\S*b\S* .*cmd=eval/.test(redisCli(redisPort, 'client', 'list')), 100);
    await Promise.all([procs.stop('worker-1', 'SIGKILL'), procs.stop('worker-2', 'SIGKILL')]);
    redisCli(redisPort, 'client', 'unpause');
    fault(midApply, 'SIGKILL both workers during the KPI projector (one waiting to apply a chunk)');
    await Promise.all([restartWorker('worker-1'), restartWorker('worker-2')]);

    // 6. PostgreSQL crashes and comes back; every process must ride it out on its own.
    if (cluster) {
      await cluster.crashRestart(3000);
      fault(true, 'PostgreSQL crashed (immediate stop), started again after 3 s');
    } else if (process.env.CHAOS_RESTART_POSTGRES === '1') {
      const version = spawnSync('sh', ['-c', 'ls /etc/postgresql | sort -V | tail -n 1'], { encoding: 'utf8' }).stdout.trim();
      const res = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'inherit' });
      fault(res.status === 0, `PostgreSQL ${version}/main restarted with pg_ctlcluster`);
    } else {
      log('PostgreSQL restart skipped: CHAOS_PG is set (add CHAOS_RESTART_POSTGRES=1 to restart that local cluster)');
    }
    await waitFor('postgres back', 60_000, async () => (await count('SELECT 1 AS n')) === 1, 250);
    const alive = procs.running();
    check(alive.length === 3, `api and both workers survived the PostgreSQL restart (${alive.join(', ')})`);

    const importDone = await waitFor('the import to finish', TIMEOUT_MS - (Date.now() - started), async () =>
      ['completed', 'failed'].includes((await db.query<{ status: string }>(`SELECT status FROM imports WHERE id = $1`, [importId])).rows[0]!.status), 1000);
    check(importDone, 'the import finished');
    const apiCreated = await apiOrders;
    check(apiCreated === API_ORDERS, `every API order answered 201 in the end (${apiCreated} of ${API_ORDERS})`);

    log('waiting for every order to be final (killed jobs wait for their expiry; lost webhooks for the hold to lapse)');
    const notFinal = `SELECT count(*) AS n FROM orders WHERE status IN ('pending', 'reserved')`;
    const allFinal = await waitFor('every order final', Math.max(60_000, TIMEOUT_MS - (Date.now() - started)), async () => (await count(notFinal)) === 0, 1000);
    check(allFinal, `every order final (${await count(notFinal)} still pending or reserved)`);
    log(`all final; ${GATEWAY_SETTLE_MS / 1000} s for late and duplicate webhooks`);
    await sleep(GATEWAY_SETTLE_MS);

    log('restarting the processes normally');
    await procs.stopAll();
    await Promise.all([startApi(), startWorker('worker-1'), startWorker('worker-2')]);
    // Caught up means nothing left to project, not only "no drift so far" (verify compares up to the checkpoint).
    await waitFor('the KPI projector to catch up', 150_000, async () => {
      const r = await runCli(['kpi', 'verify', '--tenant', 'demo'], env);
      return r.code === 0 && / 0 counted events not projected yet/.test(r.stdout);
    }, 2000);

    const verify = await runCli(['verify', '--final'], env, 600_000);
    console.log(verify.stdout.trim());
    check(verify.code === 0, 'ordersys verify --final exits 0');
    const kpi = await runCli(['kpi', 'verify', '--tenant', 'demo'], env);
    console.log(kpi.stdout.trim(), kpi.stderr.trim());
    check(kpi.code === 0, 'ordersys kpi verify --tenant demo exits 0');

    await checkNothingLostOrDoubled(db, count, file, importId);
    await checkScaleOut(db, count);
    log(`faults: ${faults.join('; ')}`);
  } finally {
    await cleanup();
  }
}

type Count = (sql: string, params?: unknown[]) => Promise<number>;

async function checkNothingLostOrDoubled(db: pg.Pool, count: Count, file: string, importId: string): Promise<void> {
  const imp = (await db.query<Record<string, string>>(`SELECT status, lines_read, lines_accepted, lines_rejected, orders_created, orders_rejected FROM imports WHERE id = $1`, [importId])).rows[0]!;
  log(`import: ${JSON.stringify(imp)}`);
  check(imp.status === 'completed', `the import completed (${imp.status})`);
  check(Number(imp.lines_read) === LINES, `every line read (${imp.lines_read} of ${LINES})`);
  check(Number(imp.lines_accepted) + Number(imp.lines_rejected) === LINES, 'accepted + rejected = lines read');
  const importOrders = await count(`SELECT count(*) AS n FROM orders WHERE import_id = $1`, [importId]);
  check(importOrders === Number(imp.orders_created), `imported orders = orders the import created (${importOrders} vs ${imp.orders_created})`);
  const apiOrders = await count(`SELECT count(*) AS n FROM orders WHERE source <> 'import'`);
  check(apiOrders === API_ORDERS, `one order per API request, retried or not (${apiOrders} of ${API_ORDERS})`);
  // Every accepted line is an order item: re-read the file, keep the good lines of orders that
  // exist, merge a repeated SKU in one order (as grouping does), and compare with order_items.
  const importedCodes = new Set((await db.query<{ c: string }>(`SELECT order_code AS c FROM orders WHERE import_id = $1`, [importId])).rows.map((r) => r.c));
  let goodLines = 0;
  const pairs = new Set<string>();
  for await (const batch of mapCsv(createReadStream(file))) {
    for (const l of batch) if (l.ok && importedCodes.has(l.row.orderCode)) { goodLines++; pairs.add(`${l.row.orderCode}\u0000${l.row.sku}`); }
  }
  const importItems = await count(`SELECT count(*) AS n FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.import_id = $1`, [importId]);
  check(goodLines === Number(imp.lines_accepted), `accepted lines are exactly the good lines of the imported orders (${imp.lines_accepted} vs ${goodLines})`);
  check(pairs.size === importItems, `each accepted line is an order item (${importItems} items for ${pairs.size} order/SKU pairs)`);

  const none = async (what: string, sql: string) => {
    const n = await count(sql);
    check(n === 0, `${what} (${n})`);
  };
  // The life cycle has no cycles, so each status is entered at most once per order.
  await none('no order made the same transition twice', `SELECT count(*) AS n FROM (SELECT 1 FROM order_events WHERE order_id IS NOT NULL AND to_status IS NOT NULL GROUP BY order_id, to_status HAVING count(*) > 1) x`);
  await none('every order.created event is one order', `SELECT count(*) AS n FROM orders o WHERE (SELECT count(*) FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.created') <> 1`);
  await none('every completed order has exactly one order.completed event',
    `SELECT count(*) AS n FROM orders o WHERE o.status IN ('completed', 'shipped', 'delivered') AND (SELECT count(*) FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.completed') <> 1`);
  await none('at most one terminal event per order',
    `SELECT count(*) AS n FROM (SELECT order_id FROM order_events WHERE type IN ('order.completed', 'order.failed', 'order.payment_failed') GROUP BY order_id HAVING count(*) > 1) x`);
  await none('payments captured once: at most one succeeded payment per order', `SELECT count(*) AS n FROM (SELECT order_id FROM payments WHERE status = 'succeeded' GROUP BY order_id HAVING count(*) > 1) x`);
  await none('payments captured once: at most one payment.succeeded event per order', `SELECT count(*) AS n FROM (SELECT order_id FROM order_events WHERE type = 'payment.succeeded' GROUP BY order_id HAVING count(*) > 1) x`);
  await none('each completed order has one succeeded payment',
    `SELECT count(*) AS n FROM orders o WHERE o.status IN ('completed', 'shipped', 'delivered') AND (SELECT count(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded') <> 1`);
  const byStatus = (await db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1`)).rows;
  log(`orders by status: ${byStatus.map((r) => `${r.status} ${r.n}`).join(', ')}`);
  log(`gateway events applied (once each, by their unique id): ${await count(`SELECT count(*) AS n FROM gateway_events`)}`);
}

/**
 * Scale-out: both workers reserved orders, every order was handed to reservation by exactly one
 * job (and, if that batch found it held by another transaction, by a follow-up job), and an
 * order's reservation ran in two processes only when its job was retried (its first run was
 * killed, failed on the database crash, or expired) or followed up; never two live fetches of one order.
 */
async function checkScaleOut(db: pg.Pool, count: Count): Promise<void> {
  await (async () => {
    // Follow-ups (data.skipped) hold orders a batch passed over while another transaction held them.
    const n = await count(`SELECT count(*) AS n FROM (SELECT id FROM (SELECT jsonb_array_elements_text(data->'orderIds') AS id FROM pgboss.job WHERE name = 'orders_reserve' AND data->'skipped' IS NULL) j GROUP BY id HAVING count(*) > 1) x`);
    check(n === 0, `every order is in exactly one reservation job, follow-ups aside (${n} in several)`);
  })();
  const retried = new Set((await db.query<{ id: string }>(
    `SELECT jsonb_array_elements_text(data->'orderIds') AS id FROM pgboss.job WHERE name = 'orders_reserve' AND (retry_count > 0 OR data->'skipped' IS NOT NULL)`,
  )).rows.map((r) => r.id));
  const byPid = new Map<number, Set<string>>();
  for (const b of procs.reserveBatches) {
    const set = byPid.get(b.pid) ?? new Set<string>();
    for (const id of b.orderIds) set.add(id);
    byPid.set(b.pid, set);
  }
  const owners = new Map<string, number>();
  let shared = 0;
  let sharedUnretried = 0;
  for (const [pid, ids] of byPid) for (const id of ids) {
    const other = owners.get(id);
    if (other !== undefined && other !== pid) {
      shared++;
      if (!retried.has(id)) sharedUnretried++;
    }
    owners.set(id, pid);
  }
  log(`reservation batches per worker pid: ${[...byPid].map(([pid, ids]) => `${pid}: ${procs.reserveBatches.filter((b) => b.pid === pid).length} batches, ${ids.size} orders`).join('; ')}`);
  log(`orders whose reservation ran in two processes: ${shared} (all through a retried job: ${sharedUnretried === 0}); orders in retried jobs: ${retried.size}`);
  check(byPid.size >= 2, `reservation batches ran in at least two worker processes (${byPid.size} pids)`);
  check(sharedUnretried === 0, `no order reserved by two processes except through a retry (${sharedUnretried})`);
}

main().then(
  () => {
    log(failures.length === 0 ? `PASSED in ${secs()}` : `FAILED: ${failures.join('; ')}`);
    console.log(`chaos: ${passed} passed, ${failures.length} failed`);
    process.exit(failures.length === 0 ? 0 : 1);
  },
  async (err: unknown) => {
    console.error(err);
    procs.printOutputs();
    await cleanup?.().catch(() => undefined);
    log('chaos: FAILED (error)');
    process.exit(1);
  },
);
