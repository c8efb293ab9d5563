import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../../../test/context.js';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { newTenant } from '../../../test/factories.js';
import { ConfigError, loadConfig, type RetentionWindows } from '../../config/config.js';
import type { Executor } from '../../platform/db/types.js';
import { reportKept } from '../imports/import.error-report.js';
import { findImport } from '../imports/import.repository.js';
import { INVARIANTS } from '../verify/invariants.js';
import { applyRetention, pruneOutbox } from './retention.js';
import { registerRetentionJobs, stopRetentionJobs } from './retention.jobs.js';

const DEFAULTS = loadConfig({}).retention;
const FOREVER: RetentionWindows = { idempotencyHours: 0, gatewayEventsDays: 0, notificationsDays: 0, webhookDeliveriesDays: 0, importErrorsDays: 0 };

/** Rows of every kind, one just past its default window and one just inside it, of a new tenant. */
async function seed(ex: Executor) {
  const tenant = await newTenant(ex);
  const t = tenant.id;
  const q = async (sql: string, params: unknown[]) => (await ex.query<{ id: string }>(sql, params)).rows[0]?.id;

  const key = (name: string, hours: number) =>
    q(`INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, status_code, response, created_at)
       VALUES ($1, 'orders', $2, 'h', 201, '{}', now() - $3 * interval '1 hour') RETURNING key AS id`, [t, name, hours]);
  const gatewayEvent = (days: number) =>
    q(`INSERT INTO gateway_events (event_id, tenant_id, type, outcome, received_at)
       VALUES ('evt_' || gen_random_uuid(), $1, 'payment.succeeded', 'applied', now() - $2 * interval '1 day') RETURNING event_id AS id`, [t, days]);
  const notification = async (status: 'queued' | 'sent' | 'failed', createdDays: number, updatedDays = createdDays) => {
    const id = await q(
      `INSERT INTO notifications (tenant_id, dedupe_key, type, channel, recipient, status, attempts, last_error, sent_at, created_at, updated_at)
       VALUES ($1, gen_random_uuid()::text, 'import_finished', 'email', 'ops@example.com', $2, 1,
               CASE WHEN $2 = 'failed' THEN 'refused' END, CASE WHEN $2 = 'sent' THEN now() - $4 * interval '1 day' END,
               now() - $3 * interval '1 day', now() - $4 * interval '1 day') RETURNING id`,
      [t, status, createdDays, updatedDays],
    );
    await ex.query(
      `INSERT INTO notification_attempts (tenant_id, notification_id, attempt, outcome, error, started_at, finished_at)
       VALUES ($1, $2, 1, 'error', 'refused', now() - $3 * interval '1 day', now() - $3 * interval '1 day')`,
      [t, id, createdDays],
    );
    return id!;
  };
  const subscription = await q(
    `INSERT INTO webhook_subscriptions (tenant_id, url, events, secret_salt) VALUES ($1, 'https://example.com/hook', '{*}', 'salt-0123456789abcdef') RETURNING id`,
    [t],
  );
  let eventId = 0;
  const delivery = async (status: 'pending' | 'delivered' | 'failed', days: number) => {
    const id = await q(
      `INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, event_type, status, attempts, give_up_at, delivered_at, created_at, updated_at)
       VALUES ($1, $2, $3, 'order.completed', $4, 1, now(), CASE WHEN $4 = 'delivered' THEN now() - $5 * interval '1 day' END,
               now() - $5 * interval '1 day', now() - $5 * interval '1 day') RETURNING id::text`,
      [t, subscription, (eventId += 1), status, days],
    );
    await ex.query(`INSERT INTO webhook_delivery_attempts (delivery_id, attempt, status_code, latency_ms) VALUES ($1, 1, 200, 5)`, [id]);
    return id!;
  };
  const anImport = async (status: 'running' | 'completed' | 'failed', finishedDays: number | null) => {
    const id = await q(
      `INSERT INTO imports (tenant_id, file_name, status, phase, error, created_at, finished_at)
       VALUES ($1, 'orders.csv', $2, CASE WHEN $2 = 'completed' THEN 'completed' ELSE 'materializing' END,
               CASE WHEN $2 = 'failed' THEN 'stopped' END, now() - interval '400 days', now() - $3 * interval '1 day') RETURNING id`,
      [t, status, finishedDays],
    );
    await ex.query(`INSERT INTO import_errors (tenant_id, import_id, line_no, reason, raw_line) VALUES ($1, $2, 2, 'bad quantity', 'x,y,z')`, [t, id]);
    await ex.query(`INSERT INTO import_chunks (import_id, chunk_no, lo, hi) VALUES ($1, 1, '', 'zzz')`, [id]);
    return id!;
  };
  await ex.query(`INSERT INTO order_events (tenant_id, type, data, created_at) VALUES ($1, 'tenant.noted', '{}', now() - interval '400 days')`, [t]);

  return {
    tenantId: t,
    oldKey: (await key('old', 73))!, newKey: (await key('new', 71))!,
    oldGatewayEvent: (await gatewayEvent(31))!, newGatewayEvent: (await gatewayEvent(29))!,
    oldSent: await notification('sent', 91), oldFailed: await notification('failed', 91), oldQueued: await notification('queued', 91),
    newSent: await notification('sent', 89), resentLately: await notification('sent', 91, 1),
    oldDelivered: await delivery('delivered', 31), oldFailedDelivery: await delivery('failed', 31),
    oldPending: await delivery('pending', 31), newDelivered: await delivery('delivered', 29),
    oldCompleted: await anImport('completed', 91), oldFailedImport: await anImport('failed', 91),
    newCompleted: await anImport('completed', 89), running: await anImport('running', null),
  };
}

type Seeded = Awaited<ReturnType<typeof seed>>;

/** Which of the seeded rows are still there. */
async function surviving(ex: Executor, s: Seeded) {
  const ids = async (sql: string, params: unknown[]) => new Set((await ex.query<{ id: string }>(sql, params)).rows.map((r) => r.id));
  return {
    keys: await ids(`SELECT key AS id FROM idempotency_keys WHERE tenant_id = $1`, [s.tenantId]),
    gatewayEvents: await ids(`SELECT event_id AS id FROM gateway_events WHERE tenant_id = $1`, [s.tenantId]),
    notifications: await ids(`SELECT id FROM notifications WHERE tenant_id = $1`, [s.tenantId]),
    notificationAttempts: await ids(`SELECT notification_id AS id FROM notification_attempts WHERE tenant_id = $1`, [s.tenantId]),
    deliveries: await ids(`SELECT id::text FROM webhook_deliveries WHERE tenant_id = $1`, [s.tenantId]),
    deliveryAttempts: await ids(
      `SELECT a.delivery_id::text AS id FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.tenant_id = $1`,
      [s.tenantId],
    ),
    importErrors: await ids(`SELECT import_id AS id FROM import_errors WHERE tenant_id = $1`, [s.tenantId]),
    importChunks: await ids(`SELECT c.import_id AS id FROM import_chunks c JOIN imports i ON i.id = c.import_id WHERE i.tenant_id = $1`, [s.tenantId]),
    imports: await ids(`SELECT id FROM imports WHERE tenant_id = $1`, [s.tenantId]),
    orderEvents: (await ex.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_events WHERE tenant_id = $1`, [s.tenantId])).rows[0]!.n,
  };
}

describe('retention', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.close());

  it('keeps everything when every window is 0', async () => {
    const s = await seed(t.db);
    const before = await surviving(t.db, s);
    const counts = await applyRetention(t.db, FOREVER);
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    expect(await surviving(t.db, s)).toEqual(before);
  });

  it('deletes exactly the final rows older than the default windows, and keeps pending, new and audit rows', async () => {
    const s = await seed(t.db);
    // Its one error line is its one rejected line: what verify expects of a report that is kept.
    await t.db.query(`UPDATE imports SET lines_read = 1, lines_rejected = 1 WHERE id = $1`, [s.oldCompleted]);
    const counts = await applyRetention(t.db, DEFAULTS);
    const after = await surviving(t.db, s);

    // The pruned report is marked: verify stops counting its lines, and the report says it is gone.
    const accounted = INVARIANTS.find((i) => i.name === 'import-lines-accounted')!;
    const { rows: breaches } = await t.db.query<{ import_id: string }>(accounted.sql, [s.tenantId]);
    expect(breaches.map((b) => b.import_id)).not.toContain(s.oldCompleted);
    const pruned = (await findImport(t.db, s.tenantId, s.oldCompleted))!;
    expect(pruned.errorsPrunedAt).toBeInstanceOf(Date);
    expect(() => reportKept(pruned)).toThrow(/^The error report of import .* was deleted on \d{4}-\d{2}-\d{2} \(RETAIN_IMPORT_ERRORS_DAYS\); its counts remain\.$/);
    expect((await findImport(t.db, s.tenantId, s.newCompleted))!.errorsPrunedAt).toBeNull();

    expect(after.keys).toEqual(new Set([s.newKey]));
    expect(after.gatewayEvents).toEqual(new Set([s.newGatewayEvent]));
    expect(after.notifications).toEqual(new Set([s.oldQueued, s.newSent, s.resentLately]));
    expect(after.notificationAttempts).toEqual(after.notifications);
    expect(after.deliveries).toEqual(new Set([s.oldPending, s.newDelivered]));
    expect(after.deliveryAttempts).toEqual(after.deliveries);
    expect(after.importErrors).toEqual(new Set([s.newCompleted, s.running]));
    expect(after.importChunks).toEqual(new Set([s.newCompleted, s.running]));
    expect(after.imports).toEqual(new Set([s.oldCompleted, s.oldFailedImport, s.newCompleted, s.running]));
    expect(after.orderEvents).toBe(1);

    // This tenant's old rows, and the first test's (whose windows were 0), are counted.
    expect(counts).toEqual({
      idempotency_keys: 2, gateway_events: 2, notifications: 4, notification_attempts: 4,
      webhook_deliveries: 4, webhook_delivery_attempts: 4, import_errors: 4, import_chunks: 4,
    });
    expect(Object.values(await applyRetention(t.db, DEFAULTS)).every((n) => n === 0)).toBe(true);
  });

  it('works through many batches, and two runs at once delete each row once without failing', async () => {
    const seeded = [await seed(t.db), await seed(t.db), await seed(t.db)];
    const runs = await Promise.all([applyRetention(t.db, DEFAULTS, 2), applyRetention(t.db, DEFAULTS, 2)]);
    const total = (k: keyof (typeof runs)[0]) => runs[0][k] + runs[1][k];
    expect(total('gateway_events')).toBe(3);
    expect(total('notifications')).toBe(6);
    expect(total('notification_attempts')).toBe(6);
    expect(total('webhook_deliveries')).toBe(6);
    expect(total('import_errors')).toBe(6);
    for (const s of seeded) expect((await surviving(t.db, s)).notifications).toEqual(new Set([s.oldQueued, s.newSent, s.resentLately]));
  });
});

describe('outbox pruning', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-outbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

  it('deletes only .eml files older than the window, and nothing with a window of 0', async () => {
    const file = (name: string, age: number) => {
      writeFileSync(path.join(dir, name), 'x');
      utimesSync(path.join(dir, name), daysAgo(age), daysAgo(age));
    };
    file('SO-1-a-1.eml', 91);
    file('SO-2-b-1.eml', 89);
    file('notes.txt', 91);
    mkdirSync(path.join(dir, 'kept.eml'));
    utimesSync(path.join(dir, 'kept.eml'), daysAgo(91), daysAgo(91));

    expect(await pruneOutbox(dir, 0)).toBe(0);
    expect(readdirSync(dir)).toHaveLength(4);
    expect(await pruneOutbox(dir, DEFAULTS.notificationsDays)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['SO-2-b-1.eml', 'kept.eml', 'notes.txt']);
    expect(await pruneOutbox(path.join(dir, 'missing'), 90)).toBe(0);
  });
});

describe('retention windows from the environment', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    }
  };

  it('defaults to 72 hours of keys, 30 days of gateway events and deliveries, 90 of notifications and import errors', () => {
    expect(DEFAULTS).toEqual({ idempotencyHours: 72, gatewayEventsDays: 30, notificationsDays: 90, webhookDeliveriesDays: 30, importErrorsDays: 90 });
  });

  it('takes 0 as keep for ever, and refuses negative windows or a dedupe ledger shorter than a redelivery', () => {
    expect(loadConfig({ RETAIN_NOTIFICATIONS_DAYS: '0', RETAIN_GATEWAY_EVENTS_DAYS: '0' }).retention.notificationsDays).toBe(0);
    const names = problems({ RETAIN_IDEMPOTENCY_HOURS: '-1', RETAIN_GATEWAY_EVENTS_DAYS: '1', RETAIN_IMPORT_ERRORS_DAYS: 'soon' }).map((p) => p.split(' ')[0]);
    expect(names.sort()).toEqual(['RETAIN_GATEWAY_EVENTS_DAYS', 'RETAIN_IDEMPOTENCY_HOURS', 'RETAIN_IMPORT_ERRORS_DAYS']);
  });
});

describe('the maintenance_retention job', () => {
  it('deletes the old rows when a worker runs it, and counts them in a metric', async () => {
    const ctx = await createTestContext('worker');
    try {
      const s = await seed(ctx.db);
      await registerRetentionJobs(ctx);
      await ctx.queue.send(ctx.db, 'maintenance_retention', {});
      // The counter moves once the whole run is done.
      const counted = async () => (await ctx.metrics.registry.metrics()).includes('ordersys_retention_deleted_total{table="gateway_events"} 1');
      const deadline = Date.now() + 30_000;
      while (!(await counted()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await counted()).toBe(true);
      expect((await surviving(ctx.db, s)).gatewayEvents).toEqual(new Set([s.newGatewayEvent]));
    } finally {
      await stopRetentionJobs(ctx);
      await ctx.dispose();
    }
  });
});
