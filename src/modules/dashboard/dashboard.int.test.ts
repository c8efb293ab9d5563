import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { eventsChannel } from '../analytics/kpi.store.js';
import { currenciesModule } from './currencies.module.js';

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a text/event-stream response event by event. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  // A read that lost the race against the timeout still owns the next chunk: keep it for the next call.
  let pending: ReturnType<typeof reader.read> | undefined;
  return async function next(timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) return { event, data: JSON.parse(data) };
        continue; // retry: lines and heartbeats
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no server-sent event in time');
      pending ??= reader.read();
      const chunk = await Promise.race([pending, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no server-sent event in time')), left))]);
      pending = undefined;
      if (chunk.done) throw new Error('the stream ended');
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
}

describe('dashboard', () => {
  let t: TestApp;
  let tenant: Tenant;
  let key: string;
  let sku: string;
  let url: string;

  beforeAll(async () => {
    t = await createTestApp({ GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
    tenant = await newTenant(t.ctx.db);
    key = await newApiKey(t.ctx.db, tenant, 'viewer');
    sku = (await newProduct(t.ctx.db, tenant, { stock: 50 })).sku;
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => t.close());

  describe('the app itself', () => {
    it('serves the page without a key, with a policy that allows nothing from elsewhere', async () => {
      const res = await fetch(`${url}/dashboard/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      const html = await res.text();
      expect(html).toContain('assets/js/main.js');
      expect(html).not.toMatch(/https?:\/\//);
      const js = await fetch(`${url}/dashboard/assets/js/main.js`);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      const again = await fetch(`${url}/dashboard/assets/js/main.js`, { headers: { 'if-none-match': js.headers.get('etag')! } });
      expect(again.status).toBe(304);
      expect((await fetch(`${url}/`, { redirect: 'manual' })).headers.get('location')).toBe('/dashboard/');
    });

    it("serves the server's minor digits (money.ts) as the module dom.js imports", async () => {
      const res = await fetch(`${url}/dashboard/assets/js/currencies.js`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await res.text()).toBe(currenciesModule().body);
      const again = await fetch(`${url}/dashboard/assets/js/currencies.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
      const dom = await (await fetch(`${url}/dashboard/assets/js/dom.js`)).text();
      expect(dom).toContain("import { minorDigits } from './currencies.js';");
    });

    it('serves nothing outside its folder', async () => {
      for (const path of ['/dashboard/assets/../../package.json', '/dashboard/assets/%2e%2e/%2e%2e/package.json', '/dashboard/assets/js/nope.js', '/dashboard/assets/.hidden.js']) {
        const res = await t.app.inject({ method: 'GET', url: path });
        expect(res.statusCode, path).toBe(404);
      }
    });
  });

  it('counts orders per status for the tenant only', async () => {
    const other = await newTenant(t.ctx.db);
    await placeOrders(t.ctx, other.id, [newOrder({ [(await newProduct(t.ctx.db, other)).sku]: 1 })]);
    const ids = await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 }), newOrder({ [sku]: 2 }), newOrder({ [sku]: 1 })]);
    await runWorkflow(t.ctx, tenant.id, ids.slice(0, 2));
    const res = await t.app.inject({ method: 'GET', url: '/dashboard/summary', headers: bearer(key) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(3);
    const counts = Object.fromEntries(body.statuses.map((s: { status: string; count: number }) => [s.status, s.count]));
    expect(counts).toMatchObject({ completed: 2, pending: 1, failed: 0 });
    expect(body.lastEventId).toBeGreaterThan(0);
  });

  it('finds orders by the start of their code', async () => {
    const prefix = `FIND-${tenant.slug}`;
    await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 }, { orderCode: `${prefix}-1` }), newOrder({ [sku]: 1 }, { orderCode: `${prefix}-2` })]);
    const search = (code: string) => t.app.inject({ method: 'GET', url: `/dashboard/orders/search?code=${encodeURIComponent(code)}`, headers: bearer(key) });
    expect((await search(prefix)).json().items.map((o: { orderCode: string }) => o.orderCode)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    expect((await search(`${prefix}-2`)).json().items).toHaveLength(1);
    expect((await search('NO-SUCH-CODE')).json().items).toEqual([]);
  });

  describe('live events', () => {
    const streamUrl = async (apiKey = key) => {
      const res = await t.app.inject({ method: 'POST', url: '/dashboard/stream-token', headers: bearer(apiKey) });
      expect(res.statusCode).toBe(200);
      return `${url}${res.json().url}`;
    };

    it('needs a stream token minted with a key', async () => {
      expect((await t.app.inject({ method: 'POST', url: '/dashboard/stream-token' })).statusCode).toBe(401);
      const bad = await fetch(`${url}/dashboard/events?token=abc.def`);
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/stream token is bad signature/);
    });

    it('refuses a token whose key was revoked since', async () => {
      const admin = await newApiKey(t.ctx.db, tenant, 'admin');
      const stream = await streamUrl(admin);
      const { rows } = await t.ctx.db.query<{ id: string }>(`SELECT id FROM api_keys WHERE tenant_id = $1 AND role = 'admin'`, [tenant.id]);
      await t.ctx.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [rows[0]!.id]);
      expect((await fetch(stream)).status).toBe(401);
    });

    it('ends an open stream with `revoked` within 5 s of its key being revoked', async () => {
      const viewer = await newApiKey(t.ctx.db, tenant, 'viewer');
      const admin = await newApiKey(t.ctx.db, tenant, 'admin');
      const controller = new AbortController();
      const next = sseReader((await fetch(await streamUrl(viewer), { signal: controller.signal })).body!);
      expect((await next()).event).toBe('hello');
      const { rows } = await t.ctx.db.query<{ id: string }>(
        `SELECT id FROM api_keys WHERE tenant_id = $1 AND role = 'viewer' AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1`,
        [tenant.id],
      );
      const revoked = await t.app.inject({ method: 'DELETE', url: `/keys/${rows[0]!.id}`, headers: bearer(admin) });
      expect(revoked.statusCode).toBe(204);
      const last = await next(7000);
      expect(last).toEqual({ event: 'revoked', data: { message: 'The API key behind this stream was revoked.' } });
      controller.abort();
    });

    it("pushes `changed` when the tenant's orders move, not another tenant's", async () => {
      const controller = new AbortController();
      const res = await fetch(await streamUrl(), { signal: controller.signal });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const next = sseReader(res.body!);
      expect((await next()).event).toBe('hello');

      const other = await newTenant(t.ctx.db);
      await placeOrders(t.ctx, other.id, [newOrder({ [(await newProduct(t.ctx.db, other)).sku]: 1 })]);
      await expect(next(2500)).rejects.toThrow(/no server-sent event/);

      const [id] = await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 })]);
      const changed = await next();
      expect(changed.event).toBe('changed');
      const { rows } = await t.ctx.db.query<{ id: number }>(`SELECT max(id) AS id FROM order_events WHERE order_id = $1`, [id]);
      expect(changed.data).toEqual({ lastEventId: rows[0]!.id });
      controller.abort();
    });

    it.runIf(Boolean(process.env.REDIS_URL))('forwards the analytics projector messages as `kpi`', async () => {
      const controller = new AbortController();
      const next = sseReader((await fetch(await streamUrl(), { signal: controller.signal })).body!);
      expect((await next()).data).toEqual({ sources: ['poll', 'redis'] });
      await t.ctx.redis!.publish(eventsChannel(tenant.id), JSON.stringify({ type: 'kpi', days: ['2025-01-01'] }));
      expect(await next()).toEqual({ event: 'kpi', data: { type: 'kpi', days: ['2025-01-01'] } });
      controller.abort();
    });
  });
});
