import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onPostgres } from './backend.js';
import { TEST_SECRET, type TestContext } from './context.js';
import { createTestDatabase, type TestDatabase } from './db.js';

// Apart from cli.ts: the chaos runner imports cli.ts outside vitest, and context.ts needs it.

/**
 * The env of a CLI child process working on a test context's database as `tenantSlug`'s
 * default tenant, with a data directory of its own; `cleanup` removes that directory.
 */
export function cliEnvFor(
  ctx: TestContext,
  tenantSlug: string,
  extra: Record<string, string | undefined> = {},
): { env: Record<string, string | undefined>; cleanup: () => void } {
  const db = ctx.config.database;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-cli-'));
  const env = {
    ...extra,
    DATABASE_URL: db.kind === 'postgres' ? db.url : undefined,
    ORDERSYS_SECRET: TEST_SECRET,
    ORDERSYS_DATA_DIR: dataDir,
    ORDERSYS_DEFAULT_TENANT: tenantSlug,
  };
  return { env, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

export interface CliDatabase {
  /** Env for runCli: a data directory of its own, and a PostgreSQL copy when DATABASE_URL is set. */
  env: Record<string, string | undefined>;
  dir: string;
  close(): Promise<void>;
}

/**
 * A database for CLI child processes only. On PGlite the CLI opens (and migrates) the data
 * directory itself: the test process must not hold it open at the same time.
 */
export async function cliDatabase(): Promise<CliDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-cli-db-'));
  const database: TestDatabase | undefined = onPostgres ? await createTestDatabase() : undefined;
  return {
    env: { ORDERSYS_SECRET: TEST_SECRET, ORDERSYS_DATA_DIR: path.join(dir, 'data'), DATABASE_URL: database?.url },
    dir,
    async close() {
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
