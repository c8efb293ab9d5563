import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { runDeliveries } from './outbound.jobs.js';
import { nextDueInMs } from './webhook.repository.js';

describe('webhook delivery follow-ups', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.dispose());

  const queued = async () =>
    (await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'outbound_deliver' AND state IN ('created', 'retry')`)).rows[0]!.n;

  it('enqueues no follow-up when no delivery is pending (each run used to enqueue the next, for ever)', async () => {
    expect(await nextDueInMs(ctx.db)).toBeUndefined();
    const before = await queued();
    await runDeliveries(ctx);
    await runDeliveries(ctx);
    expect(await queued()).toBe(before);
  });
});
