import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_SECRET, type TestContext } from './context.js';

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
