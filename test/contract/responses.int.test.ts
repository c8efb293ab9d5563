import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverNotifications } from '../../src/modules/notifications/notification.delivery.js';
import { reserveBatch } from '../../src/modules/orders/order.workflow.js';
import { Relay } from '../../src/modules/outbound/relay.js';
import { webhookSink } from '../../src/modules/outbound/sinks.js';
import { startSubscriber, waitFor } from '../../src/modules/outbound/testing.js';
import { deliverDue } from '../../src/modules/outbound/webhook.delivery.js';
import { signPayload } from '../../src/modules/payments/gateway/index.js';
import { openPayments } from '../../src/modules/payments/payment.repository.js';
import { webhookSecret } from '../../src/modules/payments/webhook.js';
import type { Tenant } from '../../src/modules/tenants/tenant.repository.js';
import { createTestApp, type TestApp } from '../app.js';
import { TEST_SECRET } from '../context.js';
import { bearer, newApiKey, newProduct, newTenant } from '../factories.js';
import { newOrder, placeOrders, runWorkflow } from '../workflow.js';
import { ContractChecker, loadDoc, type Media, type OpenapiDoc } from './openapi-validate.js';

/*
 * docs/openapi.json is the contract: a real app is driven through the main flows and every
 * answer, success or error, is checked against the document for its route and status
 * (status documented, media type documented, documented headers present, body valid).
 */

const RATE_LIMIT = 400;
const IMPORT_MAX_BYTES = 4000;
const CSV_HEADER = 'order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency';

describe('API responses match docs/openapi.json', () => {
  let t: TestApp;
  let doc: OpenapiDoc;
  let contract: ContractChecker;
  let tenant: Tenant;
  const keys = { admin: '', operator: '', viewer: '', other: '' };
  let sku: string;
  let scarceSku: string;
  let subscriber: Awaited<ReturnType<typeof startSubscriber>>;

  beforeAll(async () => {
    t = await createTestApp({
      GATEWAY_SUCCESS_RATE: '1',
      GATEWAY_LATENCY_MS: '0-5',
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      IMPORT_MAX_BYTES: String(IMPORT_MAX_BYTES),
    });
    doc = loadDoc();
    contract = new ContractChecker(doc);
    tenant = await newTenant(t.ctx.db);
    keys.admin = await newApiKey(t.ctx.db, tenant, 'admin');
    keys.operator = await newApiKey(t.ctx.db, tenant, 'operator');
    keys.viewer = await newApiKey(t.ctx.db, tenant, 'viewer');
    keys.other = await newApiKey(t.ctx.db, await newTenant(t.ctx.db), 'admin');
    sku = (await newProduct(t.ctx.db, tenant, { stock: 100, price: 1250 })).sku;
    scarceSku = (await newProduct(t.ctx.db, tenant, { stock: 1 })).sku;
    subscriber = await startSubscriber();
  });
  afterAll(async () => {
    await subscriber?.close();
    await t?.close();
  });

  interface Call {
    params?: Record<string, string | number>;
    query?: string;
    key?: keyof typeof keys | null;
    headers?: Record<string, string>;
    body?: unknown;
    raw?: { contentType: string; payload: string };
  }

  /** One request through the app, checked against the document; `expected` is the status the flow needs. */
  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, expected: number, c: Call = {}): Promise<LightMyRequestResponse> {
    const url = path.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(String(c.params?.[p] ?? `missing-${p}`)));
    const key = c.key === undefined ? 'admin' : c.key;
    const res = await t.app.inject({
      method,
      url: `${url}${c.query ? `?${c.query}` : ''}`,
      headers: {
        ...(key && bearer(keys[key])),
        ...(c.raw && { 'content-type': c.raw.contentType }),
        ...c.headers,
      },
      ...(c.raw ? { payload: c.raw.payload } : c.body !== undefined && { payload: c.body as object }),
    });
    expect(contract.check(method, path, res), `${method} ${url}`).toEqual([]);
    expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 300)}`).toBe(expected);
    return res;
  }

  const place = (orderCode: string, c: Call = {}, expected = 201) =>
    call('POST', '/orders', expected, { key: 'operator', body: { orderCode, customer: { email: 'ada@example.com', name: 'Ada' }, items: [{ sku, quantity: 2 }] }, ...c });

  describe('the document', () => {
    it('is the live document (run `npm run openapi` after changing a route)', async () => {
      const live = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
      expect(doc).toEqual(live);
    });

    it('gives every request body and every response an example that its own schema accepts', () => {
      const problems: string[] = [];
      const checkMedia = (where: string, media: Media) => {
        const examples = media.example !== undefined ? [media.example] : Object.values(media.examples ?? {}).map((e) => e.value);
        if (examples.length === 0) problems.push(`${where}: no example`);
        for (const ex of examples) problems.push(...contract.problemsOf(media.schema, ex).map((p) => `${where} example: ${p}`));
      };
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const at = `${method.toUpperCase()} ${path}`;
          for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) checkMedia(`${at} body ${type}`, media);
          for (const [status, res] of Object.entries(op.responses)) {
            for (const [type, media] of Object.entries(res.content ?? {})) checkMedia(`${at} ${status} ${type}`, media);
            if (res.description === 'Default Response') problems.push(`${at} ${status}: no description`);
          }
          for (const p of op.parameters ?? []) {
            if (p.in === 'path' && p.example === undefined) problems.push(`${at} path parameter ${p.name}: no example`);
            if (p.example !== undefined) problems.push(...contract.problemsOf(p.schema, p.example).map((e) => `${at} ${p.in} ${p.name} example: ${e}`));
          }
        }
      }
      expect(problems).toEqual([]);
    });

    it('documents the errors that the setup of each route implies', () => {
      const problems: string[] = [];
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const has = (s: number) => String(s) in op.responses;
          const open = Array.isArray(op.security) && op.security.length === 0;
          const at = `${method.toUpperCase()} ${path}`;
          if (!open && !path.startsWith('/metrics') && !(has(401) && has(429))) problems.push(`${at}: needs a key but does not document 401 and 429`);
          if (op.requestBody && !(has(400) && has(413) && has(415))) problems.push(`${at}: takes a body but does not document 400, 413 and 415`);
          if (path.includes('{') && !has(404)) problems.push(`${at}: names a resource but does not document 404`);
        }
      }
      expect(problems).toEqual([]);
    });
  });

  describe('orders', () => {
    let orderId: string;

    it('places, replays and refuses orders as documented', async () => {
      orderId = (await place('C-1', { headers: { 'idempotency-key': 'c-1' } })).json().id;
      expect((await place('C-1', { headers: { 'idempotency-key': 'c-1' } })).json().id).toBe(orderId);
      await place('C-2', { headers: { 'idempotency-key': 'c-1' } }, 422);
      await place('C-1', {}, 409);
      await call('POST', '/orders', 400, { key: 'operator', body: { orderCode: 'C-3', customer: { email: 'a@b.co', name: 'A' }, items: [{ sku: 'NOPE', quantity: 1 }] } });
      await call('POST', '/orders', 400, { key: 'operator', body: { orderCode: 'C-3', items: [] } });
      await place('C-3', { key: 'viewer' }, 403);
      await place('C-3', { key: null }, 401);
      const xml = await call('POST', '/orders', 415, { key: 'operator', raw: { contentType: 'application/xml', payload: '<order/>' } });
      expect(xml.json().error.message).toMatch(/^Content-Type application\/xml is not accepted here/);
      await call('POST', '/orders', 413, { key: 'operator', raw: { contentType: 'application/json', payload: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) } });
    });

    it('lists and reads orders, hiding other tenants', async () => {
      const list = await call('GET', '/orders', 200, { key: 'viewer', query: 'limit=1&status=pending' });
      expect(list.json().items.map((o: { id: string }) => o.id)).toEqual([orderId]);
      await call('GET', '/orders', 400, { key: 'viewer', query: 'status=lost' });
      await call('GET', '/orders/{id}', 200, { key: 'viewer', params: { id: orderId } });
      await call('GET', '/orders/{id}', 404, { key: 'other', params: { id: orderId } });
      await call('GET', '/orders/{id}', 400, { key: 'viewer', params: { id: 'not-a-uuid' } });
    });

    it('ships, delivers and cancels, refusing transitions the state does not allow', async () => {
      await call('POST', '/orders/{id}/ship', 409, { key: 'operator', params: { id: orderId } });
      await runWorkflow(t.ctx, tenant.id, [orderId]);
      await call('POST', '/orders/{id}/ship', 200, { key: 'operator', params: { id: orderId }, body: { reason: 'tracking 1Z999' } });
      await call('POST', '/orders/{id}/deliver', 200, { key: 'operator', params: { id: orderId } });
      await call('POST', '/orders/{id}/cancel', 409, { key: 'operator', params: { id: orderId } });
      const pending = (await place('C-4')).json().id;
      const cancelled = await call('POST', '/orders/{id}/cancel', 200, { key: 'operator', params: { id: pending }, body: { reason: 'customer asked' } });
      expect(cancelled.json().status).toBe('cancelled');
      await call('POST', '/orders/{id}/cancel', 404, { key: 'operator', params: { id: randomUUID() } });
    });

    it('refunds a paid order, requiring an Idempotency-Key and refusing more than was paid', async () => {
      const [paid] = await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 })]);
      await runWorkflow(t.ctx, tenant.id, [paid!]);
      const body = { amount: 400, reason: 'damaged box', restock: [{ sku, quantity: 1 }] };
      await call('POST', '/orders/{id}/refunds', 400, { key: 'operator', params: { id: paid! }, body });
      const refund = await call('POST', '/orders/{id}/refunds', 201, { key: 'operator', params: { id: paid! }, body, headers: { 'idempotency-key': 'r-1' } });
      await call('POST', '/orders/{id}/refunds', 409, { key: 'operator', params: { id: paid! }, body: { amount: 1_000_000, reason: 'too much' }, headers: { 'idempotency-key': 'r-2' } });
      await call('POST', '/orders/{id}/refunds', 404, { key: 'operator', params: { id: randomUUID() }, body, headers: { 'idempotency-key': 'r-3' } });
      await call('GET', '/orders/{id}/refunds', 200, { key: 'viewer', params: { id: paid! } });
      await call('GET', '/refunds/{id}', 200, { key: 'viewer', params: { id: refund.json().id } });
      await call('GET', '/refunds/{id}', 404, { key: 'other', params: { id: refund.json().id } });
      await call('GET', '/orders/{id}/refunds', 404, { key: 'other', params: { id: paid! } });
    });
  });

  it('reads and adjusts inventory', async () => {
    await call('GET', '/inventory', 200, { key: 'viewer', query: 'limit=5' });
    await call('GET', '/inventory/{sku}', 200, { key: 'viewer', params: { sku } });
    await call('GET', '/inventory/{sku}', 404, { key: 'viewer', params: { sku: 'NO-SUCH-SKU' } });
    await call('POST', '/inventory/{sku}/adjust', 200, { key: 'operator', params: { sku: scarceSku }, body: { delta: 4, reason: 'delivery' } });
    await call('POST', '/inventory/{sku}/adjust', 400, { key: 'operator', params: { sku }, body: { delta: 0, reason: 'nothing' } });
    await call('POST', '/inventory/{sku}/adjust', 403, { key: 'viewer', params: { sku }, body: { delta: 1, reason: 'count' } });
    const [held] = await placeOrders(t.ctx, tenant.id, [newOrder({ [scarceSku]: 5 })]);
    await reserveBatch(t.ctx, tenant.id, [held!]);
    await call('POST', '/inventory/{sku}/adjust', 409, { key: 'operator', params: { sku: scarceSku }, body: { delta: -5, kind: 'correction', reason: 'count' } });
  });

  it('imports a CSV upload, reports its progress and its rejected lines', async () => {
    const csv = [CSV_HEADER, `I-1,2024-05-01T10:00:00Z,ada@example.com,Ada,${sku},Mug,1,12.50,EUR`, `I-2,2024-05-01T10:00:00Z,ada@example.com,Ada,${sku},Mug,0,12.50,EUR`].join('\n');
    const upload = await call('POST', '/imports', 202, { key: 'operator', query: 'fileName=shop.csv', raw: { contentType: 'text/csv', payload: csv } });
    const id = upload.json().id as string;
    await call('POST', '/imports', 413, { key: 'operator', raw: { contentType: 'text/csv', payload: `${CSV_HEADER}\n${'x'.repeat(IMPORT_MAX_BYTES)}` } });
    await call('POST', '/imports', 400, { key: 'operator', query: 'preset=nope', raw: { contentType: 'text/csv', payload: csv } });
    await call('POST', '/imports', 403, { key: 'viewer', raw: { contentType: 'text/csv', payload: csv } });
    await call('GET', '/imports', 200, { key: 'viewer' });
    await call('GET', '/imports/{id}', 200, { key: 'viewer', params: { id } });
    await call('GET', '/imports/{id}', 404, { key: 'other', params: { id } });
    const errors = await call('GET', '/imports/{id}/errors', 200, { key: 'viewer', params: { id } });
    expect(errors.body.split('\r\n')[1]).toMatch(/^3,quantity,/);
    await call('GET', '/imports/{id}/errors', 404, { key: 'viewer', params: { id: randomUUID() } });
  });

  it('answers analytics, tenant and dashboard reads', async () => {
    await call('GET', '/analytics/kpis', 200, { key: 'viewer' });
    await call('GET', '/analytics/kpis', 400, { key: 'viewer', query: 'date=yesterday' });
    await call('GET', '/analytics/revenue', 200, { key: 'viewer', query: 'from=2024-05-01&to=2024-05-07' });
    await call('GET', '/analytics/leaderboard', 200, { key: 'viewer', query: 'limit=3' });
    await call('GET', '/tenant', 200, { key: 'viewer' });
    await call('PATCH', '/tenant', 200, { body: { timeZone: 'Europe/Paris' } });
    await call('PATCH', '/tenant', 400, { body: { timeZone: 'Mars/Olympus' } });
    await call('PATCH', '/tenant', 403, { key: 'operator', body: { name: 'Renamed' } });
    await call('GET', '/dashboard/summary', 200, { key: 'viewer' });
    await call('GET', '/dashboard/orders/search', 200, { key: 'viewer', query: 'code=C-' });
    await call('GET', '/dashboard/orders/search', 400, { key: 'viewer' });
    await call('POST', '/dashboard/stream-token', 200, { key: 'viewer' });
    await call('GET', '/dashboard/events', 401, { key: null, query: 'token=forged' });
    await call('GET', '/dashboard/events', 400, { key: null });
  });

  it('opens the live event stream with the documented media type', async () => {
    const { token } = (await call('POST', '/dashboard/stream-token', 200, { key: 'viewer' })).json();
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const abort = new AbortController();
    try {
      const res = await fetch(`${address}/dashboard/events?token=${encodeURIComponent(token)}`, { signal: abort.signal });
      const first = await res.body!.getReader().read();
      const answered = { statusCode: res.status, headers: Object.fromEntries(res.headers), body: new TextDecoder().decode(first.value) };
      expect(contract.check('GET', '/dashboard/events', answered)).toEqual([]);
      expect(answered.body).toMatch(/^retry: 3000/);
    } finally {
      abort.abort();
    }
  });

  it('manages API keys; a revoked key stops working at once', async () => {
    await call('GET', '/keys', 200);
    await call('GET', '/keys', 403, { key: 'operator' });
    await call('POST', '/keys', 400, { body: { role: 'root', name: 'x' } });
    const created = (await call('POST', '/keys', 201, { body: { role: 'viewer', name: 'kiosk' }, headers: { 'idempotency-key': 'k-1' } })).json();
    await call('POST', '/keys', 422, { body: { role: 'admin', name: 'kiosk' }, headers: { 'idempotency-key': 'k-1' } });
    await call('GET', '/tenant', 200, { key: null, headers: bearer(created.key) });
    await call('DELETE', '/keys/{id}', 204, { params: { id: created.id } });
    await call('DELETE', '/keys/{id}', 404, { params: { id: created.id } });
    await call('GET', '/tenant', 401, { key: null, headers: bearer(created.key) });
  });

  it('shows queues and retries or discards failed jobs', async () => {
    const queue = `contract_${randomUUID().slice(0, 8)}`;
    const boss = t.ctx.queue.boss;
    await boss.createQueue(queue);
    const failed: string[] = [];
    for (let i = 0; i < 2; i++) {
      await boss.send(queue, { tenantId: tenant.id }, { retryLimit: 0 });
      const [job] = await boss.fetch(queue);
      await boss.fail(queue, job!.id, { message: `boom ${i}` });
      failed.push(job!.id);
    }
    await call('GET', '/queues', 200, { key: 'viewer' });
    await call('GET', '/queues/{name}/failed', 200, { key: 'viewer', params: { name: queue }, query: 'limit=1' });
    await call('GET', '/queues/{name}/failed', 404, { key: 'viewer', params: { name: 'no_such_queue' } });
    await call('GET', '/queues/{name}/failed', 400, { key: 'viewer', params: { name: queue }, query: 'cursor=garbage' });
    await call('POST', '/queues/{name}/jobs/{id}/retry', 200, { key: 'operator', params: { name: queue, id: failed[0]! } });
    await call('POST', '/queues/{name}/jobs/{id}/retry', 409, { key: 'operator', params: { name: queue, id: failed[0]! } });
    await call('POST', '/queues/{name}/jobs/{id}/discard', 404, { key: 'other', params: { name: queue, id: failed[1]! } });
    await call('POST', '/queues/{name}/jobs/{id}/discard', 200, { key: 'operator', params: { name: queue, id: failed[1]! } });
  });

  it('lists notifications and resends one that was sent', async () => {
    const [orderId] = await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 })]);
    await runWorkflow(t.ctx, tenant.id, [orderId!]);
    const all = (await call('GET', '/notifications', 200, { key: 'viewer', query: `orderId=${orderId}` })).json();
    const first = all.items[0];
    await deliverNotifications(t.ctx, tenant.id, [first.id]);
    await call('GET', '/notifications', 400, { key: 'viewer', query: 'status=lost' });
    await call('GET', '/notifications/{id}', 200, { key: 'viewer', params: { id: first.id } });
    await call('GET', '/notifications/{id}', 404, { key: 'other', params: { id: first.id } });
    await call('POST', '/notifications/{id}/resend', 202, { key: 'operator', params: { id: first.id } });
    await call('POST', '/notifications/{id}/resend', 409, { key: 'operator', params: { id: first.id } });
  });

  it('subscribes a webhook, shows its deliveries and redelivers one', async () => {
    const hook = subscriber;
    await call('POST', '/webhooks/subscriptions', 400, { body: { url: 'ftp://x', events: [] } });
    await call('POST', '/webhooks/subscriptions', 403, { key: 'operator', body: { url: hook.url, events: ['*'] } });
    const sub = (await call('POST', '/webhooks/subscriptions', 201, { body: { url: hook.url, events: ['order.created'] } })).json();
    await call('GET', '/webhooks/subscriptions', 200);
    await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 })]);
    const relay = new Relay(t.ctx.db, webhookSink(t.ctx), { batchSize: 50 });
    const deliveryId = await waitFor('a delivery', async () => {
      await relay.drain();
      await deliverDue(t.ctx);
      const items = (await t.app.inject({ url: `/webhooks/subscriptions/${sub.id}/deliveries?status=delivered`, headers: bearer(keys.admin) })).json().items;
      return items[0]?.id as number | undefined;
    });
    await call('GET', '/webhooks/subscriptions/{id}/deliveries', 200, { params: { id: sub.id } });
    await call('GET', '/webhooks/subscriptions/{id}/deliveries', 404, { key: 'other', params: { id: sub.id } });
    await call('POST', '/webhooks/subscriptions/{id}/deliveries/{deliveryId}/redeliver', 202, { params: { id: sub.id, deliveryId } });
    await call('POST', '/webhooks/subscriptions/{id}/deliveries/{deliveryId}/redeliver', 404, { params: { id: sub.id, deliveryId: deliveryId + 1_000_000 } });
    await call('DELETE', '/webhooks/subscriptions/{id}', 204, { params: { id: sub.id } });
    await call('DELETE', '/webhooks/subscriptions/{id}', 404, { params: { id: sub.id } });
  });

  it('takes signed payment webhooks and refuses unsigned ones', async () => {
    const [orderId] = await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 })]);
    await reserveBatch(t.ctx, tenant.id, [orderId!]);
    const [payment] = await t.ctx.db.transaction((tx) => openPayments(tx, tenant.id, [orderId!]));
    const event = JSON.stringify({
      id: 'evt_contract1',
      type: 'payment.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { payment_id: payment!.paymentId, order_id: orderId, tenant_id: tenant.id, amount: payment!.amount, currency: 'EUR' },
    });
    const raw = { contentType: 'application/json', payload: event };
    const applied = await call('POST', '/webhooks/payments', 200, { key: null, raw, headers: { 'stripe-signature': signPayload(webhookSecret(TEST_SECRET), event) } });
    expect(applied.json()).toEqual({ received: true, applied: true });
    await call('POST', '/webhooks/payments', 400, { key: null, raw });
  });

  it('answers health and metrics', async () => {
    await call('GET', '/health/live', 200, { key: null });
    await call('GET', '/health/ready', 200, { key: null });
    await call('GET', '/metrics', 200, { key: null });
  });

  it('rate limits a key with 429 and Retry-After', async () => {
    const busy = await newApiKey(t.ctx.db, tenant, 'viewer');
    for (let i = 0; i < RATE_LIMIT; i++) await t.app.inject({ method: 'GET', url: '/tenant', headers: bearer(busy) });
    await call('GET', '/tenant', 429, { key: null, headers: bearer(busy) });
  });

  it('answered every operation in the document with a success, and the errors of every kind', () => {
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const seen = contract.answered.get(`${method.toUpperCase()} ${path}`);
        if (![...(seen ?? [])].some((s) => s < 300)) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
    const statuses = new Set([...contract.answered.values()].flatMap((s) => [...s]));
    expect([400, 401, 403, 404, 409, 413, 415, 422, 429].filter((s) => !statuses.has(s))).toEqual([]);
  });
});
