import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type Config } from '../src/config/config.js';
import { closeContext, createContext, type AppContext, type Role } from '../src/context.js';
import { testRedisUrl } from './backend.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export function testConfig(overrides: Record<string, string | undefined> = {}, database?: TestDatabase): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ORDERSYS_SECRET: TEST_SECRET,
    ORDERSYS_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ordersys-test-')),
    PORT: '0',
    ...(database?.url && { DATABASE_URL: database.url }),
    ...(testRedisUrl && { REDIS_URL: testRedisUrl }),
    ...overrides,
  });
}

export interface TestContext extends AppContext {
  dispose(): Promise<void>;
}

/** A whole application context (database copy, queue, Redis when configured) for one test file. */
export async function createTestContext(role: Role = 'all', overrides: Record<string, string | undefined> = {}): Promise<TestContext> {
  const database = await createTestDatabase();
  const config = testConfig(overrides, database);
  const logger = pino({ level: config.logLevel });
  const ctx = await createContext(config, logger, role, { db: database.db });
  return Object.assign(ctx, {
    async dispose() {
      await closeContext(ctx);
      await database.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  });
}
