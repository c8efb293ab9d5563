import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { JobQueue } from './queue.js';
import { defineQueue } from './registry.js';

declare module './registry.js' {
  interface JobRegistry {
    test_counted_ok: { n: number };
    test_counted_failing: { n: number };
  }
}
defineQueue({ name: 'test_counted_ok', retryLimit: 0 });
defineQueue({ name: 'test_counted_failing', retryLimit: 0 });

/*
 * The context is made as the server makes it (createContext), so this also proves the counter
 * is bound to the queue in every process, not only that work() can count.
 */
describe(JobQueue.name, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('cli');
  });
  afterAll(() => ctx.dispose());

  async function processed(): Promise<Record<string, number>> {
    const metric = ctx.metrics.registry.getSingleMetric('ordersys_jobs_processed_total');
    const { values } = await metric!.get();
    return Object.fromEntries(values.filter((v) => String(v.labels.queue).startsWith('test_counted')).map((v) => [`${v.labels.queue} ${v.labels.outcome}`, v.value]));
  }

  it('counts each job of the batches its handlers finish, by queue and outcome', async () => {
    // Sent before the workers start, so the first fetch takes all three as one batch.
    await ctx.db.transaction((tx) => ctx.queue.sendMany(tx, 'test_counted_ok', [{ n: 1 }, { n: 2 }, { n: 3 }]));
    await ctx.db.transaction((tx) => ctx.queue.send(tx, 'test_counted_failing', { n: 4 }));
    const batches: number[] = [];
    await ctx.queue.work('test_counted_ok', { batchSize: 10, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      batches.push(jobs.length);
    });
    await ctx.queue.work('test_counted_failing', { batchSize: 10, pollingIntervalSeconds: 0.5 }, async () => {
      throw new Error('the handler failed');
    });

    await vi.waitFor(async () => expect(Object.keys(await processed())).toHaveLength(2), { timeout: 10_000, interval: 100 });
    expect(batches).toEqual([3]);
    expect(await processed()).toEqual({ 'test_counted_ok completed': 3, 'test_counted_failing failed': 1 });
    // What was counted is what pg-boss records (after the handler, so it may lag the counter).
    const states = async (name: string) => (await ctx.db.query<{ state: string }>(`SELECT state FROM pgboss.job WHERE name = $1`, [name])).rows.map((r) => r.state);
    await vi.waitFor(async () => expect(await states('test_counted_failing')).toEqual(['failed']), { timeout: 5_000, interval: 100 });
    await vi.waitFor(async () => expect(await states('test_counted_ok')).toEqual(['completed', 'completed', 'completed']), { timeout: 5_000, interval: 100 });
  });
});
