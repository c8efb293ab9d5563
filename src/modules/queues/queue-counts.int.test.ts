import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newTenant } from '../../../test/factories.js';
import { COMPLETED_WINDOW_MINUTES } from './queue-monitor.repository.js';

/** A payload as orders_reserve carries it: hundreds of ids, stored out of line (TOAST) by PostgreSQL. */
const batch = (tenantId?: string) => ({ ...(tenantId && { tenantId }), orderIds: Array.from({ length: 300 }, () => randomUUID()) });

describe('queue counts', () => {
  let t: TestApp;
  const ownSlug = `own-${randomBytes(3).toString('hex')}`;
  const queue = `test_counts_${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    t = await createTestApp({ ORDERSYS_DEFAULT_TENANT: ownSlug });
    await t.ctx.queue.boss.createQueue(queue);
  });
  afterAll(() => t.close());

  const counts = async (key: string, name = queue) =>
    (await t.app.inject({ method: 'GET', url: '/queues', headers: bearer(key) })).json().queues.find((q: { name: string }) => q.name === name);
  const post = (url: string, key: string) => t.app.inject({ method: 'POST', url, headers: bearer(key) });
  // Due a second ago: on PGlite a send and the fetch right after it can read the same clock value.
  const due = { startAfter: new Date(Date.now() - 1000) };

  it("counts each tenant's jobs exactly, and only the recently completed ones", async () => {
    const boss = t.ctx.queue.boss;
    const [ta, tb, own] = [await newTenant(t.ctx.db), await newTenant(t.ctx.db), await newTenant(t.ctx.db, ownSlug)];
    const keys = {
      a: await newApiKey(t.ctx.db, ta, 'viewer'),
      b: await newApiKey(t.ctx.db, tb, 'viewer'),
      ownOperator: await newApiKey(t.ctx.db, own, 'operator'),
      ownAdmin: await newApiKey(t.ctx.db, own, 'admin'),
    };
    for (const data of [batch(ta.id), batch(ta.id), batch(ta.id), batch(ta.id), batch(tb.id), batch()]) await boss.send(queue, data, due);
    const jobs = await boss.fetch<{ tenantId?: string }>(queue, { batchSize: 6 });
    expect(jobs).toHaveLength(6);
    const ofA = jobs.filter((j) => j.data.tenantId === ta.id).map((j) => j.id);
    // All done but one of A's, which stays active; another of A's was done before the window.
    await boss.complete(queue, jobs.map((j) => j.id).filter((id) => id !== ofA[0]));
    await t.ctx.db.query(`UPDATE pgboss.job SET completed_on = now() - make_interval(mins => $3) WHERE name = $1 AND id = $2`, [
      queue,
      ofA[1],
      COMPLETED_WINDOW_MINUTES + 1,
    ]);
    await boss.send(queue, batch(ta.id), due);
    await boss.send(queue, batch(ta.id), { startAfter: new Date(Date.now() + 3_600_000) });

    expect(await counts(keys.a)).toMatchObject({ waiting: 2, deferred: 1, active: 1, completed: 2, perMinute: 2, failed: 0 });
    expect(await counts(keys.b)).toMatchObject({ waiting: 0, active: 0, completed: 1, perMinute: 1 });
    expect(await counts(keys.ownOperator)).toMatchObject({ waiting: 0, active: 0, completed: 0 });
    expect(await counts(keys.ownAdmin)).toMatchObject({ waiting: 0, active: 0, completed: 1 }); // the job of no tenant
  });

  it('shows a retried or discarded job where it went at once, though requests share counts for 2 s', async () => {
    const tenant = await newTenant(t.ctx.db);
    const operator = await newApiKey(t.ctx.db, tenant, 'operator');
    const failing = `${queue}_failing`;
    await t.ctx.queue.boss.createQueue(failing);
    for (let i = 0; i < 2; i++) await t.ctx.queue.boss.send(failing, batch(tenant.id), { ...due, retryLimit: 0 });
    const jobs = await t.ctx.queue.boss.fetch(failing, { batchSize: 2 });
    for (const job of jobs) await t.ctx.queue.boss.fail(failing, job.id, { message: 'boom' });

    expect(await counts(operator, failing)).toMatchObject({ waiting: 0, failed: 2 });
    expect((await post(`/queues/${failing}/jobs/${jobs[0]!.id}/retry`, operator)).statusCode).toBe(200);
    expect(await counts(operator, failing)).toMatchObject({ waiting: 1, failed: 1 });
    expect((await post(`/queues/${failing}/jobs/${jobs[1]!.id}/discard`, operator)).statusCode).toBe(200);
    expect(await counts(operator, failing)).toMatchObject({ waiting: 1, failed: 0 });
  });

  it('indexes every queue partition by tenant, those pg-boss makes later too', async () => {
    const attached = async () =>
      (
        await t.ctx.db.query<{ partitions: number; indexed: number }>(
          `SELECT (SELECT count(*)::int FROM pg_inherits WHERE inhparent = 'pgboss.job'::regclass) AS partitions,
                  (SELECT count(*)::int FROM pg_inherits WHERE inhparent = 'pgboss.ordersys_job_tenant'::regclass) AS indexed`,
        )
      ).rows[0]!;
    const before = await attached();
    expect(before.indexed).toBe(before.partitions);
    await t.ctx.queue.boss.createQueue(`${queue}_later`);
    expect(await attached()).toEqual({ partitions: before.partitions + 1, indexed: before.partitions + 1 });
  });

  it('leaves pg-boss archiving completed jobs as it did', async () => {
    const archived = `${queue}_archived`;
    await t.ctx.queue.boss.createQueue(archived);
    await t.ctx.queue.boss.send(archived, batch(randomUUID()), due);
    const [job] = await t.ctx.queue.boss.fetch(archived);
    await t.ctx.queue.boss.complete(archived, job!.id);
    // pg-boss archives completed jobs after 12 hours.
    await t.ctx.db.query(`UPDATE pgboss.job SET completed_on = now() - interval '13 hours' WHERE name = $1`, [archived]);
    await t.ctx.queue.boss.archive();
    const where = `WHERE name = $1 AND id = $2`;
    expect((await t.ctx.db.query(`SELECT 1 FROM pgboss.job ${where}`, [archived, job!.id])).rows).toHaveLength(0);
    const { rows } = await t.ctx.db.query<{ orderIds: number }>(`SELECT jsonb_array_length(data->'orderIds') AS "orderIds" FROM pgboss.archive ${where}`, [archived, job!.id]);
    expect(rows).toEqual([{ orderIds: 300 }]);
  });
});
