import type { App } from '../src/http/app.js';
import { buildApp } from '../src/http/app.js';
import { createTestContext, type TestContext } from './context.js';

export interface TestApp {
  ctx: TestContext;
  app: App;
  close(): Promise<void>;
}

/** The real Fastify app on a fresh database; requests go through app.inject (no socket needed). */
export async function createTestApp(overrides: Record<string, string | undefined> = {}): Promise<TestApp> {
  const ctx = await createTestContext('api', overrides);
  const app = await buildApp(ctx);
  await app.ready();
  return {
    ctx,
    app,
    async close() {
      await app.close();
      await ctx.dispose();
    },
  };
}
