import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { JobQueue } from './queue.js';
import { defineQueue } from './registry.js';

declare module './registry.js' {
  interface JobRegistry {
    test_probe: { n: number };
    test_probe_tuned: { n: number };
    test_probe_drain: { n: number };
    test_probe_embedded: { n: number };
  }
}
defineQueue({ name: 'test_probe', retryLimit: 0 });
defineQueue({ name: 'test_probe_drain', retryLimit: 0 });
defineQueue({ name: 'test_probe_embedded', retryLimit: 10, retryDelay: 1, retryBackoff: true, expireInSeconds: 60 });
defineQueue({ name: 'test_probe_tuned', retryLimit: 3, expireInSeconds: 45, policy: 'singleton' });

describe('JobQueue', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('cli');
  });
  afterAll(() => ctx.dispose());

  async function fetchProbes(): Promise<number[]> {
    const jobs = (await ctx.queue.boss.fetch<{ n: number }>('test_probe', { batchSize: 100 })) ?? [];
    return jobs.map((j) => j.data.n).sort((a, b) => a - b);
  }

  it('never runs a job enqueued in a rolled-back transaction', async () => {
    await expect(
      ctx.db.transaction(async (tx) => {
        await ctx.queue.send(tx, 'test_probe', { n: 1 });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await fetchProbes()).toEqual([]);
  });

  it('runs jobs enqueued in a committed transaction, many in one insert', async () => {
    await ctx.db.transaction(async (tx) => {
      await ctx.queue.sendMany(tx, 'test_probe', [{ n: 2 }, { n: 3 }, { n: 4 }]);
    });
    expect(await fetchProbes()).toEqual([2, 3, 4]);
  });

  it('writes jobs embedded in a statement as sendMany() writes them, one per payload row', async () => {
    const columns = `data, priority, state, retry_limit, retry_count, retry_delay, retry_backoff, singleton_key, singleton_on,
      expire_in, dead_letter, policy, keep_until - created_on AS kept, start_after - created_on AS delay`;
    const rowsOf = async (name: string) =>
      (await ctx.db.query(`SELECT ${columns} FROM pgboss.job WHERE name = $1 ORDER BY data->>'n'`, [name])).rows;
    for (const name of ['test_probe_embedded', 'test_probe_tuned'] as const) {
      await ctx.db.transaction((tx) => ctx.queue.sendMany(tx, name, [{ n: 1 }]));
      await ctx.db.query(
        `WITH t AS (SELECT $1::int AS n), j AS (${ctx.queue.insertJobSql(name, `SELECT jsonb_build_object('n', n) FROM t WHERE n > 0`)})
         SELECT 1`,
        [2],
      );
      await ctx.db.query(`WITH j AS (${ctx.queue.insertJobSql(name, `SELECT jsonb_build_object('n', 3) WHERE false`)}) SELECT 1`);
      const [sent, embedded, ...more] = await rowsOf(name);
      expect(more).toEqual([]);
      expect(embedded).toEqual({ ...sent, data: { n: 2 } });
    }
    const jobs = (await ctx.queue.boss.fetch<{ n: number }>('test_probe_embedded', { batchSize: 10 })) ?? [];
    expect(jobs.map((j) => j.data.n).sort()).toEqual([1, 2]);
  });

  it('hands jobs to a worker and completes them', async () => {
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      void ctx.queue.work('test_probe', { batchSize: 10, pollingIntervalSeconds: 0.5 }, async (jobs) => {
        seen.push(...jobs.map((j) => j.data.n));
        if (seen.length >= 2) resolve();
      });
    });
    await ctx.db.transaction((tx) => ctx.queue.sendMany(tx, 'test_probe', [{ n: 5 }, { n: 6 }]));
    await done;
    expect(seen.sort()).toEqual([5, 6]);
  });

  it('fetches again at once after a full fetch instead of waiting out the polling interval', async () => {
    await ctx.db.transaction((tx) => ctx.queue.sendMany(tx, 'test_probe_drain', [1, 2, 3, 4, 5, 6].map((n) => ({ n }))));
    const fetches: number[][] = [];
    // A 60 s interval: were the worker to wait it out after the first full fetch of two, the
    // other four jobs would come after the test's timeout.
    await new Promise<void>((resolve) => {
      void ctx.queue.work('test_probe_drain', { batchSize: 2, pollingIntervalSeconds: 60 }, async (jobs) => {
        fetches.push(jobs.map((j) => j.data.n));
        if (fetches.flat().length >= 6) resolve();
      });
    });
    expect(fetches.map((f) => f.length)).toEqual([2, 2, 2]);
    expect(fetches.flat().sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('brings a queue made by an older version to its definition\'s expiry and retries, keeping its policy', async () => {
    await ctx.db.query(`UPDATE pgboss.queue SET expire_seconds = 3600, retry_limit = 1, policy = 'standard' WHERE name = 'test_probe_tuned'`);
    const url = ctx.config.database.kind === 'postgres' ? ctx.config.database.url : undefined;
    const again = await JobQueue.start(ctx.db, { url }, ctx.logger, { supervise: false });
    await again.boss.stop({ graceful: false, wait: true, close: url !== undefined });
    const { rows } = await ctx.db.query<{ expire: number; retries: number; policy: string }>(
      `SELECT expire_seconds AS expire, retry_limit AS retries, policy FROM pgboss.queue WHERE name = 'test_probe_tuned'`,
    );
    expect(rows[0]).toEqual({ expire: 45, retries: 3, policy: 'standard' });
  });
});
