import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { onPostgres } from '../../../test/backend.js';
import { bearer, newApiKey, newTenant } from '../../../test/factories.js';
import { CHECK_TIMEOUT_MS } from './health.checks.js';
import { closedPort } from '../../../test/ports.js';

async function ready(t: TestApp) {
  const start = performance.now();
  const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
  return { status: res.statusCode, body: res.json(), ms: performance.now() - start };
}

/*
 * A blocked check is given up after CHECK_TIMEOUT_MS. Each blocker below is also lifted a few
 * seconds after that, so without the bound the test fails on its assertions instead of hanging.
 */
const LIFT_AFTER_MS = CHECK_TIMEOUT_MS + 3000;
const ANSWERS_WITHIN_MS = CHECK_TIMEOUT_MS + 1500;

describe('GET /health/ready', () => {
  describe('with Redis configured but down', () => {
    let t: TestApp;
    let port: number;
    beforeAll(async () => {
      port = await closedPort();
      t = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
    });
    afterAll(() => t.close());

    it('stays ready for the load balancer, reporting Redis degraded with the real reason', async () => {
      const { status, body } = await ready(t);
      expect(status).toBe(200);
      expect(body.status).toBe('degraded');
      expect([body.checks.database.ok, body.checks.queue.ok]).toEqual([true, true]);
      expect(body.checks.redis).toMatchObject({ ok: false, error: expect.stringContaining(`ECONNREFUSED 127.0.0.1:${port}`) });
    });

    it('still answers the reads that use Redis, from PostgreSQL (why Redis only degrades readiness)', async () => {
      const headers = bearer(await newApiKey(t.ctx.db, await newTenant(t.ctx.db), 'viewer'));
      for (const url of ['/analytics/kpis', '/analytics/revenue', '/analytics/leaderboard']) {
        const res = await t.app.inject({ method: 'GET', url, headers });
        expect([res.statusCode, res.json().source], url).toEqual([200, 'postgres']);
      }
    });
  });

  describe.skipIf(!onPostgres)('with pgboss.queue locked (PostgreSQL)', () => {
    let t: TestApp;
    let locker: pg.Client;
    beforeAll(async () => {
      t = await createTestApp();
      const { database } = t.ctx.config;
      locker = new pg.Client({ connectionString: database.kind === 'postgres' ? database.url : '' });
      await locker.connect();
    });
    afterAll(async () => {
      await locker.end();
      await t.close();
    });

    it('answers 503 within the bound, naming the queue check, and the server gives up the waiting read', async () => {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE pgboss.queue IN ACCESS EXCLUSIVE MODE');
      const lift = setTimeout(() => void locker.query('ROLLBACK'), LIFT_AFTER_MS);
      try {
        const { status, body, ms } = await ready(t);
        expect(status).toBe(503);
        expect(body.status).toBe('unavailable');
        expect(body.checks.database.ok).toBe(true);
        expect(body.checks.queue).toMatchObject({ ok: false, error: `no answer within ${CHECK_TIMEOUT_MS} ms` });
        expect(ms).toBeLessThan(ANSWERS_WITHIN_MS);
        // Still under the lock: the probe's statement must not keep its pool connection waiting.
        const waiting = async () =>
          (await locker.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0]!.n;
        await vi.waitFor(async () => expect(await waiting()).toBe(0), { timeout: 2000, interval: 100 });
      } finally {
        clearTimeout(lift);
        await locker.query('ROLLBACK');
      }
    });
  });

  describe.skipIf(onPostgres)('behind a long transaction (embedded: one connection)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('answers 503 within the bound, naming the database and queue checks', async () => {
      let release = () => {};
      const held = t.ctx.db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
      const lift = setTimeout(() => release(), LIFT_AFTER_MS);
      try {
        const { status, body, ms } = await ready(t);
        expect(status).toBe(503);
        expect(body.checks.database).toMatchObject({ ok: false, error: `no answer within ${CHECK_TIMEOUT_MS} ms` });
        expect(body.checks.queue).toMatchObject({ ok: false, error: `no answer within ${CHECK_TIMEOUT_MS} ms` });
        expect(ms).toBeLessThan(ANSWERS_WITHIN_MS);
      } finally {
        clearTimeout(lift);
        release();
        await held;
      }
      expect((await ready(t)).status).toBe(200);
    });
  });
});
