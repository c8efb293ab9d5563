import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newTenant } from '../../../test/factories.js';

/** A job of the test queue that failed for good with the given message. */
async function failedJob(t: TestApp, queue: string, data: object, message: string): Promise<string> {
  const boss = t.ctx.queue.boss;
  // Due a second ago: pg-boss fetches jobs with start_after < now(), and on PGlite a send and the
  // fetch right after it can read the same clock value (CI once fetched nothing).
  await boss.send(queue, data, { retryLimit: 0, startAfter: new Date(Date.now() - 1000) });
  const [job] = await boss.fetch(queue);
  if (!job) throw new Error('test: no job to fetch');
  await boss.fail(queue, job.id, { message });
  return job.id;
}

describe('queue monitor', () => {
  let t: TestApp;
  const queue = `test_monitor_${randomBytes(3).toString('hex')}`;
  const ownSlug = `own-${randomBytes(3).toString('hex')}`;
  let a: { viewer: string; operator: string; jobId: string };
  let b: { operator: string; jobId: string };

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_WAIT_ALERT_SECONDS: '30', ORDERSYS_DEFAULT_TENANT: ownSlug });
    const ta = await newTenant(t.ctx.db);
    const tb = await newTenant(t.ctx.db);
    await t.ctx.queue.boss.createQueue(queue);
    a = { viewer: await newApiKey(t.ctx.db, ta, 'viewer'), operator: await newApiKey(t.ctx.db, ta, 'operator'), jobId: await failedJob(t, queue, { tenantId: ta.id }, 'boom for A') };
    b = { operator: await newApiKey(t.ctx.db, tb, 'operator'), jobId: await failedJob(t, queue, { tenantId: tb.id }, 'boom for B') };
    // Due two minutes ago and never picked up: above the 30 s threshold.
    await t.ctx.queue.boss.send(queue, { tenantId: ta.id }, { startAfter: new Date(Date.now() - 120_000) });
    await t.ctx.queue.boss.send(queue, { tenantId: ta.id }, { startAfter: new Date(Date.now() + 3_600_000) });
  });
  afterAll(() => t.close());

  const get = (url: string, key: string) => t.app.inject({ method: 'GET', url, headers: bearer(key) });
  const post = (url: string, key: string) => t.app.inject({ method: 'POST', url, headers: bearer(key) });

  it('counts every queue for any viewer, and flags a wait above the threshold', async () => {
    const res = await get('/queues', a.viewer);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.alertWaitSeconds).toBe(30);
    expect(body.queues.map((q: { name: string }) => q.name)).toContain('orders_reserve');
    const mine = body.queues.find((q: { name: string }) => q.name === queue);
    expect(mine).toMatchObject({ waiting: 2, deferred: 1, active: 0, failed: 1, completed: 0, alert: true }); // B's failure is B's
    expect((await get('/queues', b.operator)).json().queues.find((q: { name: string }) => q.name === queue)).toMatchObject({ waiting: 0, failed: 1, alert: false });
    expect(mine.oldestWaitSeconds).toBeGreaterThan(100);
    const idle = body.queues.find((q: { name: string }) => q.name === 'orders_reserve');
    expect(idle).toMatchObject({ waiting: 0, alert: false, oldestWaitSeconds: null });
  });

  it("shows a tenant only its own failed jobs, with the error they threw", async () => {
    const mine = (await get(`/queues/${queue}/failed`, a.viewer)).json();
    expect(mine.total).toBe(1);
    expect(mine.items).toHaveLength(1);
    expect(mine.items[0]).toMatchObject({ id: a.jobId, error: 'boom for A', retryCount: 0 });
    expect(mine.canAct).toBe(false); // a viewer: the dashboard offers no retry or discard
    expect((await get(`/queues/${queue}/failed`, a.operator)).json().canAct).toBe(true);
    expect(JSON.stringify(mine)).not.toContain(b.jobId);
    expect((await get(`/queues/no_such_queue/failed`, a.viewer)).statusCode).toBe(404);
  });

  it('lets an operator retry its own failed job once; viewers and other tenants cannot', async () => {
    expect((await post(`/queues/${queue}/jobs/${a.jobId}/retry`, a.viewer)).statusCode).toBe(403);
    expect((await post(`/queues/${queue}/jobs/${a.jobId}/retry`, b.operator)).statusCode).toBe(404);
    const res = await post(`/queues/${queue}/jobs/${a.jobId}/retry`, a.operator);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: a.jobId, name: queue, state: 'retry' });
    const { rows } = await t.ctx.db.query<{ state: string }>(`SELECT state::text FROM pgboss.job WHERE name = $1 AND id = $2`, [queue, a.jobId]);
    expect(rows[0]?.state).toBe('retry');
    const again = await post(`/queues/${queue}/jobs/${a.jobId}/retry`, a.operator);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/is retry, not failed/);
  });

  it('discards a failed job for good', async () => {
    expect((await post(`/queues/${queue}/jobs/${b.jobId}/discard`, a.operator)).statusCode).toBe(404);
    const res = await post(`/queues/${queue}/jobs/${b.jobId}/discard`, b.operator);
    expect(res.json()).toEqual({ id: b.jobId, name: queue, state: 'discarded' });
    const { rows } = await t.ctx.db.query(`SELECT 1 FROM pgboss.job WHERE name = $1 AND id = $2`, [queue, b.jobId]);
    expect(rows).toHaveLength(0);
    expect((await get(`/queues/${queue}/failed`, b.operator)).json().total).toBe(0);
  });

  it('pages failed jobs with a cursor', async () => {
    const tenant = await newTenant(t.ctx.db);
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const paged = `${queue}_paged`; // fetch() takes the oldest job: keep the waiting ones of the other tests away
    await t.ctx.queue.boss.createQueue(paged);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await failedJob(t, paged, { tenantId: tenant.id }, `boom ${i}`));
    const first = (await get(`/queues/${paged}/failed?limit=2`, key)).json();
    expect(first.items).toHaveLength(2);
    expect(first.total).toBe(3);
    const second = (await get(`/queues/${paged}/failed?limit=2&cursor=${first.nextCursor}`, key)).json();
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((j: { id: string }) => j.id).sort()).toEqual(ids.sort());
    expect((await get(`/queues/${paged}/failed?cursor=nonsense`, key)).statusCode).toBe(400);
  });

  it('pages failed jobs that failed at one instant (a batch) without skipping any', async () => {
    const tenant = await newTenant(t.ctx.db);
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const batch = `${queue}_batch`;
    await t.ctx.queue.boss.createQueue(batch);
    for (let i = 0; i < 5; i++) await t.ctx.queue.boss.send(batch, { tenantId: tenant.id }, { retryLimit: 0, startAfter: new Date(Date.now() - 1000) });
    const jobs = await t.ctx.queue.boss.fetch(batch, { batchSize: 5 });
    expect(jobs).toHaveLength(5);
    await t.ctx.queue.boss.fail(batch, jobs.map((j) => j.id)); // one statement: one completed_on
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = (await get(`/queues/${batch}/failed?limit=2${cursor ? `&cursor=${cursor}` : ''}`, key)).json();
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it("shows jobs of no tenant (cron, sweeps) only to admins of the deployment's own tenant", async () => {
    const cron = `${queue}_cron`;
    await t.ctx.queue.boss.createQueue(cron);
    const jobId = await failedJob(t, cron, {}, 'sweep failed on order 0192 of some tenant');
    const stranger = await newApiKey(t.ctx.db, await newTenant(t.ctx.db), 'admin');
    const own = await newTenant(t.ctx.db, ownSlug);
    const ownOperator = await newApiKey(t.ctx.db, own, 'operator');
    const ownAdmin = await newApiKey(t.ctx.db, own, 'admin');
    for (const key of [stranger, ownOperator]) {
      expect((await get(`/queues/${cron}/failed`, key)).json()).toMatchObject({ total: 0, items: [] });
      expect((await post(`/queues/${cron}/jobs/${jobId}/discard`, key)).statusCode).toBe(404);
    }
    const cronCount = async (key: string) => (await get('/queues', key)).json().queues.find((q: { name: string }) => q.name === cron).failed;
    expect([await cronCount(stranger), await cronCount(ownOperator), await cronCount(ownAdmin)]).toEqual([0, 0, 1]);
    const seen = (await get(`/queues/${cron}/failed`, ownAdmin)).json();
    expect(seen.items.map((j: { id: string; error: string }) => [j.id, j.error])).toEqual([[jobId, 'sweep failed on order 0192 of some tenant']]);
    expect((await post(`/queues/${cron}/jobs/${jobId}/retry`, ownAdmin)).json()).toEqual({ id: jobId, name: cron, state: 'retry' });
  });
});
