import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { onPostgres } from '../../../test/backend.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import { appendEvents } from '../orders/order.events.js';
import { advanceOrder } from '../orders/order.service.js';
import { verifySignature } from '../payments/gateway/index.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import type { EventRow } from './envelope.js';
import { validate, type Schema } from './json-schema.js';
import { latestPosition, readCheckpoint } from './outbox.repository.js';
import { Relay, type Sink } from './relay.js';
import { webhookSink } from './sinks.js';
import { outOfOrder, startSubscriber, waitFor } from './testing.js';
import { deliverDue, OUTBOUND_SIGNATURE_HEADER } from './webhook.delivery.js';

const schema = JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as Schema;

describe('outbound webhooks', () => {
  let t: TestApp;
  let tenant: Tenant;
  let auth: Record<string, string>;
  let sku: string;
  const subscribers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      GATEWAY_SUCCESS_RATE: '0.8',
      GATEWAY_LATENCY_MS: '0-5',
      OUTBOUND_RETRY_BASE_MS: '20',
      OUTBOUND_RETRY_MAX_MS: '200',
      OUTBOUND_RETRY_FOR_MS: '1500',
      OUTBOUND_WEBHOOK_TIMEOUT_MS: '2000',
    });
    tenant = await newTenant(t.ctx.db);
    auth = bearer(await newApiKey(t.ctx.db, tenant, 'admin'));
    sku = (await newProduct(t.ctx.db, tenant, { stock: 10_000 })).sku;
  });
  afterAll(async () => {
    for (const s of subscribers) await s.close();
    await t?.close();
  });

  const relay = () => new Relay(t.ctx.db, webhookSink(t.ctx), { batchSize: 20 });
  async function subscribe(url: string, events: string[], key?: string) {
    const res = await t.app.inject({ method: 'POST', url: '/webhooks/subscriptions', headers: { ...auth, ...(key && { 'idempotency-key': key }) }, payload: { url, events } });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; secret?: string; events: string[] };
  }
  async function subscriber(answer?: Parameters<typeof startSubscriber>[0]) {
    const s = await startSubscriber(answer);
    subscribers.push(s);
    return s;
  }
  /** Relay and delivery rounds until `done` holds: what the worker's loop and jobs do. */
  async function pump(done: () => Promise<boolean> | boolean) {
    await waitFor('deliveries', async () => {
      await relay().drain();
      await deliverDue(t.ctx);
      return done();
    });
  }

  it('with no subscription at all, moves its checkpoint past the events without delivery rows', async () => {
    const before = (await readCheckpoint(t.ctx.db, 'webhooks'))!;
    const quiet = await newTenant(t.ctx.db);
    const quietSku = (await newProduct(t.ctx.db, quiet, { stock: 10 })).sku;
    await placeOrders(t.ctx, quiet.id, [newOrder({ [quietSku]: 1 }), newOrder({ [quietSku]: 2 })]);
    await waitFor('checkpoint past the new events', async () => {
      await relay().drain();
      const now = (await readCheckpoint(t.ctx.db, 'webhooks'))!;
      return BigInt(now.xid) > BigInt(before.xid) && now.id >= (await latestPosition(t.ctx.db)).id;
    });
    const after = (await readCheckpoint(t.ctx.db, 'webhooks'))!;
    expect(after.published).toBe(before.published); // skipped, not published
    const { rows } = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries`);
    expect(rows[0]!.n).toBe(0);
  });

  it('delivers every event of a workflow run once, signed, schema-valid, each order in id order', async () => {
    const sub = await subscriber();
    const { id, secret } = await subscribe(sub.url, ['*']);
    const ids = await placeOrders(t.ctx, tenant.id, Array.from({ length: 50 }, (_, i) => newOrder({ [sku]: 1 + (i % 3) })));
    await runWorkflow(t.ctx, tenant.id, ids);
    const { rows } = await t.ctx.db.query<{ id: number }>(`SELECT id FROM order_events WHERE tenant_id = $1 ORDER BY id`, [tenant.id]);
    expect(rows.length).toBeGreaterThanOrEqual(150); // created + reserved + completed|payment_failed

    await pump(() => sub.received.length >= rows.length);
    const got = sub.deduped();
    expect(sub.received.length).toBe(got.length); // nothing came twice
    expect(got.map((e) => e.id).sort()).toEqual(rows.map((r) => `evt_${r.id}`).sort());
    expect(got.map((e) => e.type)).toEqual(expect.arrayContaining(['order.created', 'order.reserved', 'order.completed', 'order.payment_failed']));
    expect(outOfOrder(got)).toEqual([]);
    for (const r of sub.received) {
      expect(validate(schema, r.envelope)).toEqual([]);
      expect(verifySignature(secret!, r.rawBody, r.headers[OUTBOUND_SIGNATURE_HEADER.toLowerCase()] as string)).toMatchObject({ ok: true });
      expect(verifySignature('whsec_wrong', r.rawBody, r.headers[OUTBOUND_SIGNATURE_HEADER.toLowerCase()] as string)).toMatchObject({ ok: false });
    }
    const res = await t.app.inject({ method: 'GET', url: `/webhooks/subscriptions/${id}/deliveries?status=delivered&limit=500`, headers: auth });
    expect(res.json().items).toHaveLength(rows.length);
  });

  it('retries a subscriber answering 500 with backoff, records every attempt, fails after the window, redelivers on demand', async () => {
    const flaky = await subscriber((_r, nth) => (nth <= 2 ? 500 : 200));
    const dead = await subscriber(() => 500);
    const flakySub = await subscribe(flaky.url, ['order.shipped']);
    const deadSub = await subscribe(dead.url, ['order.delivered']);
    const [orderId] = await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 })]);
    await t.ctx.db.query(`UPDATE orders SET status = 'completed' WHERE id = $1`, [orderId]);
    await advanceOrder(t.ctx, tenant.id, orderId!, 'ship');
    await advanceOrder(t.ctx, tenant.id, orderId!, 'deliver');

    const deliveries = async (subId: string) =>
      (await t.app.inject({ method: 'GET', url: `/webhooks/subscriptions/${subId}/deliveries`, headers: auth })).json().items as {
        id: number; status: string; attempts: number; lastStatusCode: number | null; attemptLog: { statusCode: number | null; latencyMs: number }[];
      }[];
    await pump(async () => (await deliveries(flakySub.id))[0]?.status === 'delivered' && (await deliveries(deadSub.id))[0]?.status === 'failed');

    const [ok] = await deliveries(flakySub.id);
    expect(ok!.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(ok!.attemptLog.every((a) => a.latencyMs >= 0)).toBe(true);
    expect(new Set(flaky.received.map((r) => r.envelope.id)).size).toBe(1);

    const [failed] = await deliveries(deadSub.id);
    // 20, 40, 80, 160, 200, 200 ... ms of backoff inside a 1.5 s window.
    expect(failed!.attempts).toBeGreaterThanOrEqual(4);
    expect(failed!.attemptLog).toHaveLength(failed!.attempts);
    expect(failed!.attemptLog.every((a) => a.statusCode === 500)).toBe(true);
    const before = dead.received.length;
    await deliverDue(t.ctx);
    expect(dead.received.length).toBe(before); // failed for good: no more attempts

    const again = await t.app.inject({ method: 'POST', url: `/webhooks/subscriptions/${deadSub.id}/deliveries/${failed!.id}/redeliver`, headers: auth });
    expect(again.statusCode).toBe(202);
    await deliverDue(t.ctx);
    expect(dead.received.length).toBe(before + 1);
    expect((await deliveries(deadSub.id))[0]).toMatchObject({ status: 'pending', attempts: failed!.attempts + 1 });
    const other = await t.app.inject({ method: 'POST', url: `/webhooks/subscriptions/${flakySub.id}/deliveries/${failed!.id}/redeliver`, headers: auth });
    expect(other.statusCode).toBe(404);
    await t.app.inject({ method: 'DELETE', url: `/webhooks/subscriptions/${deadSub.id}`, headers: auth });
  });

  it('a relay killed after publishing, before its checkpoint, creates each delivery exactly once when restarted', async () => {
    const sub = await subscriber();
    const { id } = await subscribe(sub.url, ['order.created']);
    await relay().drain();
    const ids = await placeOrders(t.ctx, tenant.id, Array.from({ length: 5 }, () => newOrder({ [sku]: 1 })));
    const crashing = new Relay(t.ctx.db, webhookSink(t.ctx), {
      batchSize: 3,
      beforeCheckpoint: () => {
        throw new Error('killed mid-batch');
      },
    });
    const start = await readCheckpoint(t.ctx.db, 'webhooks');
    await eventsBelowHorizon();
    await expect(crashing.runBatch()).rejects.toThrow('killed mid-batch');
    expect(await readCheckpoint(t.ctx.db, 'webhooks')).toEqual(start);
    const count = async () =>
      (await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1`, [id])).rows[0]!.n;
    expect(await count()).toBe(0);
    await relay().drain();
    await relay().drain();
    expect(await count()).toBe(ids.length);
    await pump(() => sub.received.length >= ids.length);
    expect(sub.received.map((r) => r.envelope.order_id).sort()).toEqual([...ids].sort());
  });

  it('returns the signing secret once, lists and deletes subscriptions, and refuses non-admins', async () => {
    const first = await subscribe('https://example.test/hook', ['order.completed', 'order.completed', 'refund.succeeded'], 'sub-key-1');
    expect(first.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(first.events).toEqual(['order.completed', 'refund.succeeded']);
    const replay = await t.app.inject({ method: 'POST', url: '/webhooks/subscriptions', headers: { ...auth, 'idempotency-key': 'sub-key-1' }, payload: { url: 'https://example.test/hook', events: ['order.completed', 'order.completed', 'refund.succeeded'] } });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual({ id: first.id, url: 'https://example.test/hook', events: first.events, createdAt: expect.any(String) });
    const { rows } = await t.ctx.db.query<{ response: unknown }>(`SELECT response FROM idempotency_keys WHERE key = 'sub-key-1'`);
    expect(JSON.stringify(rows[0]!.response)).not.toContain('whsec_');

    const list = await t.app.inject({ method: 'GET', url: '/webhooks/subscriptions', headers: auth });
    expect(list.json().items.map((s: { id: string }) => s.id)).toContain(first.id);
    expect(list.body).not.toContain('whsec_');

    const viewer = bearer(await newApiKey(t.ctx.db, tenant, 'operator'));
    expect((await t.app.inject({ method: 'GET', url: '/webhooks/subscriptions', headers: viewer })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/webhooks/subscriptions', headers: auth, payload: { url: 'ftp://x', events: [] } });
    expect(bad.statusCode).toBe(400);

    const otherTenant = await newTenant(t.ctx.db);
    const otherAuth = bearer(await newApiKey(t.ctx.db, otherTenant, 'admin'));
    expect((await t.app.inject({ method: 'DELETE', url: `/webhooks/subscriptions/${first.id}`, headers: otherAuth })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/webhooks/subscriptions/${first.id}`, headers: auth })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `/webhooks/subscriptions/${first.id}/deliveries`, headers: auth })).statusCode).toBe(404);
  });

  /**
   * The safe horizon (pg_snapshot_xmin) is cluster-wide: a long transaction in another test
   * file's database holds it back for a moment. Wait until every event written so far is below it.
   */
  async function eventsBelowHorizon(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await t.ctx.db.query<{ ok: boolean }>(
        `SELECT COALESCE(max(xid), '0'::xid8) < pg_snapshot_xmin(pg_current_snapshot()) AS ok FROM order_events`,
      );
      if (rows[0]!.ok || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A sink that only records what it is handed, with a checkpoint of its own starting now. */
  async function recordingSink(name: string, delayMs = 0): Promise<Sink & { published: EventRow[] }> {
    const at = await latestPosition(t.ctx.db);
    await t.ctx.db.query(`INSERT INTO outbound_checkpoints (name, xid, id) VALUES ($1, $2::xid8, $3)`, [name, at.xid, at.id]);
    const published: EventRow[] = [];
    return {
      name,
      published,
      async publish(_tx, events) {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        published.push(...events);
      },
    };
  }

  it.runIf(onPostgres)('keeps an order’s events in id order when a later event has the older transaction id', async () => {
    const url = (t.ctx.config.database as { url: string }).url;
    const [orderId] = await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 })]);
    const sink = await recordingSink('probe_order');
    const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    const [late, slow] = clients as [pg.Client, pg.Client];
    for (const c of clients) await c.connect();
    try {
      // `late` takes its xid first, `slow` (an unrelated long transaction) next, then another
      // transaction writes evt A for the order and commits; only then does `late` write evt B.
      await late.query('BEGIN');
      await late.query('SELECT pg_current_xact_id()');
      await slow.query('BEGIN');
      await slow.query('SELECT pg_current_xact_id()');
      await t.ctx.db.transaction((tx) => appendEvents(tx, tenant.id, [{ orderId: orderId!, type: 'order.shipped', data: { step: 'A' } }]));
      await late.query(`INSERT INTO order_events (tenant_id, order_id, type, data) VALUES ($1, $2, 'order.delivered', '{"step":"B"}')`, [tenant.id, orderId]);
      await late.query('COMMIT');
      // B is below the horizon, A is not (slow is still open): B must wait for A.
      const relayOf = (batchSize: number) => new Relay(t.ctx.db, sink, { batchSize });
      await relayOf(500).drain();
      // Only the probe events A and B matter here (the order's creation may publish meanwhile).
      expect(sink.published.filter((e) => e.orderId === orderId && e.data.step).map((e) => e.data.step)).toEqual([]);
      await slow.query('COMMIT');
      await eventsBelowHorizon();
      // Now both are below it; a batch of 1 would take B alone in (xid, id) order: A is pulled in first.
      await relayOf(1).drain();
      expect(sink.published.filter((e) => e.orderId === orderId && e.data.step).map((e) => e.data.step)).toEqual(['A', 'B']);
    } finally {
      for (const c of clients) await c.end();
    }
  });

  it.runIf(onPostgres)('two relays racing on one checkpoint never publish an event twice', async () => {
    const sink = await recordingSink('probe_race', 5);
    const a = new Relay(t.ctx.db, sink, { batchSize: 7 });
    const b = new Relay(t.ctx.db, sink, { batchSize: 7 });
    let producing = true;
    const orderIds: string[] = [];
    const producer = (async () => {
      for (let i = 0; i < 10; i++) orderIds.push(...(await placeOrders(t.ctx, tenant.id, Array.from({ length: 6 }, () => newOrder({ [sku]: 1 })))));
      producing = false;
    })();
    const loop = async (r: Relay) => {
      while (producing) await r.drain();
      await r.drain();
    };
    await Promise.all([producer, loop(a), loop(b)]);
    const { rows } = await t.ctx.db.query<{ id: number }>(`SELECT id FROM order_events WHERE order_id = ANY($1::uuid[])`, [orderIds]);
    expect(rows).toHaveLength(60);
    // The horizon is cluster-wide: a transaction of another database can hold the last events back a moment.
    await waitFor('the last events', async () => {
      await a.drain();
      const seen = new Set(sink.published.map((e) => e.id));
      return rows.every((r) => seen.has(r.id));
    });
    const published = sink.published.map((e) => e.id);
    expect(published.length).toBe(new Set(published).size);
    expect(published).toEqual(expect.arrayContaining(rows.map((r) => r.id)));
  });
});
