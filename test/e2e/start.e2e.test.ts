import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres, testRedisUrl } from '../backend.js';
import { runCli, startCli } from '../cli.js';
import { TEST_SECRET } from '../context.js';
import { createTestDatabase, type TestDatabase } from '../db.js';

/** The README's first command, as a new user runs it: `ordersys start`, then curl /health/ready. */
describe('ordersys start', () => {
  let database: TestDatabase | undefined;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-e2e-'));
    env = { ORDERSYS_DATA_DIR: dataDir, PORT: '0' };
    if (onPostgres) {
      database = await createTestDatabase();
      await database.db.close(); // the child process opens it itself
      Object.assign(env, { DATABASE_URL: database.url, REDIS_URL: testRedisUrl, ORDERSYS_SECRET: TEST_SECRET });
    }
  });
  afterAll(() => database?.close());

  it('serves /health/ready, seeds the demo catalog once, and stops cleanly on SIGTERM', async () => {
    const server = startCli(['start'], env, /running at (http:\/\/\S+?) /);
    const [, url] = await server.started;
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');

    if (!onPostgres) {
      // PGlite is one process's database: a second opener must fail loudly, not share it.
      const second = await runCli(['migrate'], env);
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/already open in process \d+/);
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('reopens the same data and reports migrations as applied', async () => {
    const res = await runCli(['migrate'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/migrations applied; the database is up to date/);
  });

  it.runIf(!onPostgres)('gave the first embedded start a demo catalog (seeding again creates nothing)', async () => {
    const res = await runCli(['seed', '--products', '1000', '--customers', '10000'], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('0 products and 0 customers created (1000 and 10000 already present)');
  });

  it('refuses a bad configuration naming the variable', async () => {
    const res = await runCli(['migrate'], { ...env, PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/PORT/);
    expect(res.stderr).toMatch(/LOG_LEVEL/);
  });
});
