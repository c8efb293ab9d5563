import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import { describe, expect, it } from 'vitest';
import './queue.js';

type Method = (this: unknown, ...args: unknown[]) => Promise<unknown>;
const Manager = createRequire(import.meta.url)('pg-boss/src/manager.js') as { prototype: Record<'complete' | 'fail', Method> };

/** The parts of a pg-boss Manager that complete() and fail() use, on a database that is down. */
const managerWithDatabaseDown = {
  db: { executeSql: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })) },
  completeJobsCommand: 'complete',
  failJobsByIdCommand: 'fail',
  mapCompletionIdArg: (id: string) => [id],
  mapCompletionDataArg: (data: unknown) => data ?? null,
  mapCommandResponse: () => ({}),
};

describe('JobQueue with pg-boss 10', () => {
  it('survives a job outcome that cannot be recorded: the worker loop does not await it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // What pg-boss's watch() does after a handler: fire and forget.
      void Manager.prototype.complete.call(managerWithDatabaseDown, 'q', '7c9e6679-7425-40de-944b-e07fc1f90ae7');
      void Manager.prototype.fail.call(managerWithDatabaseDown, 'q', '7c9e6679-7425-40de-944b-e07fc1f90ae7', new Error('handler failed'));
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('still rejects for a caller that awaits the outcome', async () => {
    await expect(Manager.prototype.complete.call(managerWithDatabaseDown, 'q', '7c9e6679-7425-40de-944b-e07fc1f90ae7')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('keeps boss.complete and boss.fail, which PgBoss exposes by the functions\' names', () => {
    const boss = new PgBoss({ connectionString: 'postgres://127.0.0.1:1/never-connected' });
    expect([typeof boss.complete, typeof boss.fail]).toEqual(['function', 'function']);
  });
});
