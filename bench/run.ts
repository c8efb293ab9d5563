/**
 * npm run bench [-- NAME ...]: every benchmark on PostgreSQL + Redis and on the embedded default,
 * each in a fresh database and its own process, then one table with each figure's ratio to its
 * reference measured in the same run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Figure } from './lib/report.js';
import { CASES, RATIOS } from './cases.js';
import { cpuProfileArgs } from './lib/profile.js';

const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-secret-0123456789abcdef0123456789';

interface Row extends Figure {
  bench: string;
  backend: string;
}

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `ordersys_bench_${Date.now().toString(36)}_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const u = new URL(PG);
    u.pathname = `/${name}`;
    return await fn(u.toString());
  } finally {
    // BENCH_KEEP_DB=1 leaves the database for inspection (pg_stat_user_indexes, EXPLAIN).
    if (process.env.BENCH_KEEP_DB) console.error(`kept database ${name}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

function runCase(script: string, env: NodeJS.ProcessEnv): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(merged)) if (v === '') delete merged[k]; // '' means unset
    const child = spawn(process.execPath, [...cpuProfileArgs(), '--import', 'tsx', script], { env: merged, stdio: ['ignore', 'pipe', 'inherit'] });
    const figures: Figure[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('BENCH ')) figures.push(JSON.parse(line.slice(6)) as Figure);
        else if (line.trim()) process.stderr.write(`  ${line}\n`);
      }
    });
    child.on('exit', (code) => (code === 0 ? resolve(figures) : reject(new Error(`${script} exited with ${code}`))));
  });
}

const wanted = process.argv.slice(2);
// BENCH_BACKENDS=postgres (or embedded) runs one side only, e.g. to use another BENCH_LINES.
const backends = (process.env.BENCH_BACKENDS ?? 'postgres,embedded').split(',');
const rows: Row[] = [];
for (const c of CASES.filter((c) => wanted.length === 0 || wanted.includes(c.name))) {
  for (const backend of c.backends.filter((b) => backends.includes(b))) {
    process.stderr.write(`== ${c.name} on ${backend}\n`);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-bench-'));
    const base = { ORDERSYS_DATA_DIR: dataDir, BENCH_DATA_DIR: path.join(dataDir, 'pglite'), LOG_LEVEL: 'warn', NODE_ENV: 'production' };
    try {
      const figures =
        backend === 'postgres'
          ? await withDatabase((url) => runCase(c.script, { ...base, ...c.env, DATABASE_URL: url, REDIS_URL: REDIS, ORDERSYS_SECRET: SECRET }))
          : await runCase(c.script, { ...base, ...c.env, DATABASE_URL: '', REDIS_URL: '' });
      rows.push(...figures.map((f) => ({ ...f, bench: c.name, backend })));
    } catch (err) {
      process.stderr.write(`  FAILED: ${(err as Error).message}\n`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
console.log('\n| benchmark | backend | figure | value |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.bench} | ${r.backend} | ${r.figure} | ${fmt(r.value)} ${r.unit} |`);
console.log('\n| comparison | backend | value | reference | ratio | target |\n|---|---|---|---|---|---|');
for (const ratio of RATIOS) {
  for (const backend of ['postgres', 'embedded']) {
    const a = rows.find((r) => r.figure === ratio.figure && r.backend === backend);
    const b = rows.find((r) => r.figure === ratio.reference && r.backend === (ratio.referenceBackend ?? backend));
    if (!a || !b) continue;
    const x = ratio.invert ? b.value / a.value : a.value / b.value;
    console.log(`| ${ratio.label} | ${backend} | ${fmt(a.value)} ${a.unit} | ${fmt(b.value)} ${b.unit} | ${Number(x.toPrecision(3))}x | ${ratio.target ?? ''} |`);
  }
}
