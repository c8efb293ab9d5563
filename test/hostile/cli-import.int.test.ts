import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/platform/db/pglite.js';
import type { Database } from '../../src/platform/db/types.js';
import { onPostgres } from '../backend.js';
import { runCli } from '../cli.js';
import { TEST_SECRET } from '../context.js';
import { createTestDatabase, type TestDatabase } from '../db.js';

/*
 * Path traversal in `ordersys import FILE`. The CLI runs as the operator and reads the path the
 * operator gives it, like any Unix tool: `../../etc/passwd` is resolved as the shell would, not
 * refused. What "safe" means here: only a regular file is read (a directory, device or pipe is
 * refused up front, never hangs on /dev/zero), a file that is not an orders CSV is refused whole
 * with a one-line reason and creates nothing, and the import keeps the file's base name only, so
 * the operator's directory layout never reaches API users (GET /imports).
 * An uploaded file name (POST /imports?fileName=) is a label and is never used as a path: see
 * api.int.test.ts.
 */

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';

describe('ordersys import with hostile paths', () => {
  let dir: string;
  let database: TestDatabase | undefined;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-hostile-cli-'));
    mkdirSync(path.join(dir, 'etc'));
    writeFileSync(path.join(dir, 'etc', 'passwd'), PASSWD);
    if (onPostgres) database = await createTestDatabase();
    env = { ORDERSYS_SECRET: TEST_SECRET, ORDERSYS_DATA_DIR: path.join(dir, 'data'), DATABASE_URL: database?.url };
  });
  afterAll(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The database the CLI wrote to (PGlite: opened once the CLI has exited and let go of it). */
  async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    if (database) return fn(database.db);
    const db = await openPglite(path.join(dir, 'data', 'pglite'));
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  it('reads ../../…/etc/passwd as the operator asked, refuses it as not an orders file, and creates nothing', async () => {
    // Relative to the working directory, through '..' segments, as a user would type it.
    const traversal = path.relative(process.cwd(), path.join(dir, 'etc', 'passwd'));
    expect(traversal).toMatch(/^\.\.\//);
    const res = await runCli(['import', traversal], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^ordersys: The file has no columns order_code, .*Its header has: root:x:0:0/m);
    expect(res.stderr).not.toMatch(/\n\s+at /); // a reason, not a stack trace
    const state = await withDb(async (db) => ({
      imports: (await db.query<{ fileName: string; status: string }>(`SELECT file_name AS "fileName", status FROM imports`)).rows,
      orders: (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders`)).rows[0]!.n,
      lines: (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_lines`)).rows[0]!.n,
    }));
    expect(state).toEqual({ imports: [{ fileName: 'passwd', status: 'failed' }], orders: 0, lines: 0 });
  });

  it.each([
    ['a directory', () => path.join(dir, 'etc', '..')],
    ['a device that never ends', () => '/dev/zero'],
  ])('refuses %s as not a regular file, at once', async (_what, target) => {
    const res = await runCli(['import', target()], env, 30_000);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(`ordersys: ${target()}: not a regular file; give the path of a CSV file.`);
  });

  it('says so when the path leads nowhere', async () => {
    const res = await runCli(['import', '../../../../../../no/such/orders.csv'], env);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe('ordersys: ../../../../../../no/such/orders.csv: no such file.');
  });
});
