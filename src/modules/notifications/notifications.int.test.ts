import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { TEST_SECRET } from '../../../test/context.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import { applyTransition } from '../orders/order.transitions.js';
import { verifySignature } from '../payments/gateway/signature.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { NOTIFY_SIGNATURE_HEADER, notifyWebhookKey } from './channels/webhook.channel.js';
import { deliverNotifications } from './notification.delivery.js';
import { enqueueNotifications } from './notification.enqueue.js';

interface Received {
  body: string;
  signature: string | undefined;
  idempotencyKey: string | undefined;
}

describe('notifications', () => {
  let t: TestApp;
  let hook: Server;
  const received: Received[] = [];

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({
          body,
          signature: req.headers[NOTIFY_SIGNATURE_HEADER.toLowerCase()] as string | undefined,
          idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        });
        res.writeHead(202, { 'x-message-id': `sms-${received.length}` }).end('{}');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const port = (hook.address() as AddressInfo).port;
    t = await createTestApp({
      GATEWAY_SUCCESS_RATE: '1',
      GATEWAY_LATENCY_MS: '0-5',
      NOTIFY_SMS_WEBHOOK_URL: `http://127.0.0.1:${port}/sms`,
    });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => hook.close(resolve));
  });

  async function completedOrders(tenant: Tenant, n: number, fields: Parameters<typeof newOrder>[1] = {}): Promise<string[]> {
    const p = await newProduct(t.ctx.db, tenant, { stock: 100, price: 1000 });
    const ids = await placeOrders(t.ctx, tenant.id, Array.from({ length: n }, () => newOrder({ [p.sku]: 2 }, fields)));
    await runWorkflow(t.ctx, tenant.id, ids);
    return ids;
  }

  async function rowsOf(tenantId: string) {
    const { rows } = await t.ctx.db.query<{ id: string; orderId: string; type: string; channel: string; status: string; dispatched: boolean }>(
      `SELECT id, order_id AS "orderId", type, channel, status, dispatched_at IS NOT NULL AS dispatched
       FROM notifications WHERE tenant_id = $1 ORDER BY order_id, channel`,
      [tenantId],
    );
    return rows;
  }

  describe('on order transitions', () => {
    it('records one order_confirmation per channel for each completed order, with its delivery job', async () => {
      const tenant = await newTenant(t.ctx.db);
      const ids = await completedOrders(tenant, 3);
      const rows = await rowsOf(tenant.id);
      expect(rows.map((r) => `${r.orderId}:${r.type}:${r.channel}`).sort()).toEqual(
        ids.flatMap((id) => [`${id}:order_confirmation:email`, `${id}:order_confirmation:log`]).sort(),
      );
      expect(rows.every((r) => r.status === 'queued' && r.dispatched)).toBe(true);
      const jobs = await t.ctx.queue.boss.fetch<{ tenantId: string; ids: string[] }>('notifications_deliver', { batchSize: 100 });
      const mine = (jobs ?? []).filter((j) => j.data.tenantId === tenant.id);
      expect(mine.flatMap((j) => j.data.ids).sort()).toEqual(rows.map((r) => r.id).sort());

      // One transition of many orders: one statement of rows, one job carrying them all.
      await t.ctx.db.transaction((tx) => applyTransition(tx, tenant.id, 'ship', ids.map((orderId) => ({ orderId }))));
      const shipped = (await rowsOf(tenant.id)).filter((r) => r.type === 'order_shipped');
      expect(shipped).toHaveLength(6);
      const next = await t.ctx.queue.boss.fetch<{ tenantId: string; ids: string[] }>('notifications_deliver', { batchSize: 100 });
      const shipJobs = (next ?? []).filter((j) => j.data.tenantId === tenant.id);
      expect(shipJobs).toHaveLength(1);
      expect(shipJobs[0]!.data.ids.sort()).toEqual(shipped.map((r) => r.id).sort());
    });

    it('creates none when the same transition or the same request is applied again', async () => {
      const tenant = await newTenant(t.ctx.db);
      const ids = await completedOrders(tenant, 2);
      const before = await rowsOf(tenant.id);
      const moved = await t.ctx.db.transaction((tx) => applyTransition(tx, tenant.id, 'complete', ids.map((orderId) => ({ orderId }))));
      expect(moved).toEqual([]);
      const again = await t.ctx.db.transaction((tx) =>
        enqueueNotifications(tx, tenant.id, ids.map((orderId) => ({ type: 'order_confirmation' as const, orderId })), t.ctx),
      );
      expect(again).toEqual([]);
      expect(await rowsOf(tenant.id)).toEqual(before);
    });

    it('records nothing when the transition rolls back', async () => {
      const tenant = await newTenant(t.ctx.db);
      const ids = await completedOrders(tenant, 1);
      await expect(
        t.ctx.db.transaction(async (tx) => {
          const moved = await applyTransition(tx, tenant.id, 'ship', [{ orderId: ids[0]! }]);
          expect(moved).toHaveLength(1);
          expect((await tx.query(`SELECT 1 FROM notifications WHERE order_id = $1 AND type = 'order_shipped'`, [ids[0]])).rows).toHaveLength(2);
          throw new Error('the shipment failed');
        }),
      ).rejects.toThrow('the shipment failed');
      expect((await rowsOf(tenant.id)).map((r) => r.type)).toEqual(['order_confirmation', 'order_confirmation']);
    });

    it('keeps one refund notification per refund and channel, however often it is asked for', async () => {
      const tenant = await newTenant(t.ctx.db);
      const [orderId] = await completedOrders(tenant, 1);
      const refund = (refundId: string) => ({ type: 'refund_processed' as const, orderId: orderId!, refundId, amount: 500, currency: 'EUR' });
      const r1 = '00000000-0000-4000-8000-000000000001';
      const r2 = '00000000-0000-4000-8000-000000000002';
      const first = await t.ctx.db.transaction((tx) => enqueueNotifications(tx, tenant.id, [refund(r1)]));
      const second = await t.ctx.db.transaction((tx) => enqueueNotifications(tx, tenant.id, [refund(r1), refund(r2)]));
      expect(first).toHaveLength(2);
      expect(second).toHaveLength(2); // only r2's
      const { rows } = await t.ctx.db.query<{ dedupeKey: string }>(
        `SELECT dedupe_key AS "dedupeKey" FROM notifications WHERE tenant_id = $1 AND type = 'refund_processed' ORDER BY 1`,
        [tenant.id],
      );
      expect(rows.map((r) => r.dedupeKey)).toEqual([
        `${orderId}:refund_processed:${r1}:email`,
        `${orderId}:refund_processed:${r1}:log`,
        `${orderId}:refund_processed:${r2}:email`,
        `${orderId}:refund_processed:${r2}:log`,
      ]);
    });
  });

  describe('delivery', () => {
    it('writes email as an .eml file in the data directory when SMTP_URL is unset, once', async () => {
      const tenant = await newTenant(t.ctx.db);
      const [orderId] = await completedOrders(tenant, 1, { customerEmail: 'eml-reader@example.com' });
      const ids = (await rowsOf(tenant.id)).map((r) => r.id);
      expect(await deliverNotifications(t.ctx, tenant.id, ids)).toEqual({ sent: 2, retrying: 0, failed: 0 });
      expect(await deliverNotifications(t.ctx, tenant.id, ids)).toEqual({ sent: 0, retrying: 0, failed: 0 });
      const { rows } = await t.ctx.db.query<{ code: string }>(`SELECT order_code AS code FROM orders WHERE id = $1`, [orderId]);
      const outbox = path.join(t.ctx.config.dataDir, 'outbox');
      const files = readdirSync(outbox).filter((f) => f.startsWith(rows[0]!.code));
      expect(files).toHaveLength(1);
      const eml = readFileSync(path.join(outbox, files[0]!), 'utf8');
      expect(eml).toContain('To: eml-reader@example.com');
      expect(eml).toContain(`Subject: Order ${rows[0]!.code} confirmed`);
      expect(eml).toContain('EUR 20.00'); // 2 x 10.00
      expect(eml).toContain('Content-Type: text/html');
      const emailId = (await rowsOf(tenant.id)).find((r) => r.channel === 'email')!.id;
      expect(eml).toContain(`Message-ID: <${emailId}@ordersys>`);
      const sent = await rowsOf(tenant.id);
      expect(sent.map((r) => r.status)).toEqual(['sent', 'sent']);
    });

    it('sends SMS through the signed webhook, to the customer id', async () => {
      const tenant = await newTenant(t.ctx.db);
      await t.ctx.db.query(`UPDATE tenants SET notification_channels = '{sms}' WHERE id = $1`, [tenant.id]);
      const [orderId] = await completedOrders(tenant, 1);
      const [row] = await rowsOf(tenant.id);
      expect(row).toMatchObject({ orderId, channel: 'sms', type: 'order_confirmation' });
      const before = received.length;
      expect(await deliverNotifications(t.ctx, tenant.id, [row!.id])).toMatchObject({ sent: 1 });
      const got = received.slice(before);
      expect(got).toHaveLength(1);
      const body = JSON.parse(got[0]!.body) as Record<string, string>;
      const { rows } = await t.ctx.db.query<{ customerId: string }>(`SELECT customer_id AS "customerId" FROM orders WHERE id = $1`, [orderId]);
      expect(body).toMatchObject({ id: row!.id, channel: 'sms', type: 'order_confirmation', recipient: rows[0]!.customerId });
      expect(body.text).toContain('EUR 20.00');
      expect(got[0]!.idempotencyKey).toBe(row!.id);
      expect(verifySignature(notifyWebhookKey(TEST_SECRET), got[0]!.body, got[0]!.signature)).toMatchObject({ ok: true });
      expect(verifySignature(notifyWebhookKey('another-secret-of-at-least-32-chars!!'), got[0]!.body, got[0]!.signature)).toMatchObject({ ok: false });
    });

    it('fails push when no provider is configured, keeping the error, and retries later', async () => {
      const tenant = await newTenant(t.ctx.db);
      await t.ctx.db.query(`UPDATE tenants SET notification_channels = '{push}' WHERE id = $1`, [tenant.id]);
      await completedOrders(tenant, 1);
      const [row] = await rowsOf(tenant.id);
      expect(await deliverNotifications(t.ctx, tenant.id, [row!.id])).toEqual({ sent: 0, retrying: 1, failed: 0 });
      const { rows } = await t.ctx.db.query<{ status: string; attempts: number; lastError: string; later: boolean }>(
        `SELECT status, attempts, last_error AS "lastError", due_at > now() AS later FROM notifications WHERE id = $1`,
        [row!.id],
      );
      expect(rows[0]).toEqual({ status: 'queued', attempts: 1, lastError: expect.stringContaining('NOTIFY_PUSH_WEBHOOK_URL is not set'), later: true });
    });
  });

  describe('GET /notifications and resend', () => {
    let tenant: Tenant;
    let viewer: string;
    let operator: string;
    beforeAll(async () => {
      tenant = await newTenant(t.ctx.db);
      viewer = await newApiKey(t.ctx.db, tenant, 'viewer');
      operator = await newApiKey(t.ctx.db, tenant, 'operator');
      const ids = await completedOrders(tenant, 2);
      await t.ctx.db.transaction((tx) => applyTransition(tx, tenant.id, 'ship', [{ orderId: ids[0]! }]));
      const emailOfFirst = (await rowsOf(tenant.id)).filter((r) => r.channel === 'email' && r.type === 'order_confirmation');
      await deliverNotifications(t.ctx, tenant.id, emailOfFirst.map((r) => r.id));
    });

    const get = (query: string, key = viewer) => t.app.inject({ method: 'GET', url: `/notifications${query}`, headers: bearer(key) });

    it('lists the history with totals over the whole filter', async () => {
      const all = await get('?limit=2');
      expect(all.statusCode).toBe(200);
      const body = all.json();
      expect(body.items).toHaveLength(2);
      expect(body.totals).toMatchObject({ total: 6, byStatus: { sent: 2, queued: 4, failed: 0 }, byChannel: { email: 3, log: 3 } });
      expect(body.totals.byType).toEqual({ order_confirmation: 4, order_shipped: 2 });
    });

    it('filters by type, status, channel and since', async () => {
      const shipped = (await get('?type=order_shipped')).json();
      expect(shipped.items.map((n: { type: string }) => n.type)).toEqual(['order_shipped', 'order_shipped']);
      const sent = (await get('?status=sent&channel=email')).json();
      expect(sent.totals.total).toBe(2);
      expect(sent.items.every((n: { sentAt: string | null; attempts: number }) => n.sentAt && n.attempts === 1)).toBe(true);
      expect((await get(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json().totals.total).toBe(0);
      expect((await get('?status=lost')).statusCode).toBe(400);
    });

    it('never shows another tenant its notifications', async () => {
      const other = await newTenant(t.ctx.db);
      const body = (await get('', await newApiKey(t.ctx.db, other, 'viewer'))).json();
      expect(body.totals.total).toBe(0);
    });

    it('resends a sent notification for operators only, keeping its attempt history', async () => {
      const sent = (await get('?status=sent&limit=1')).json().items[0];
      const url = `/notifications/${sent.id}/resend`;
      expect((await t.app.inject({ method: 'POST', url, headers: bearer(viewer) })).statusCode).toBe(403);
      const res = await t.app.inject({ method: 'POST', url, headers: bearer(operator) });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ id: sent.id, status: 'queued', attempts: 1, sentAt: null });
      const again = await t.app.inject({ method: 'POST', url, headers: bearer(operator) });
      expect(again.statusCode).toBe(409);
      expect(await deliverNotifications(t.ctx, tenant.id, [sent.id])).toMatchObject({ sent: 1 });
      const detail = (await t.app.inject({ method: 'GET', url: `/notifications/${sent.id}`, headers: bearer(viewer) })).json();
      expect(detail).toMatchObject({ status: 'sent', attempts: 2 });
      expect(detail.attemptLog.map((a: { attempt: number; outcome: string }) => [a.attempt, a.outcome])).toEqual([
        [1, 'sent'],
        [2, 'sent'],
      ]);
      const unknown = await t.app.inject({ method: 'POST', url: `/notifications/${crypto.randomUUID()}/resend`, headers: bearer(operator) });
      expect(unknown.statusCode).toBe(404);
    });
  });
});
