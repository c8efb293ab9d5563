import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../factories.js';

describe('authentication and roles', () => {
  let t: TestApp;
  let viewer: string;
  let operator: string;
  let admin: string;
  let sku: string;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_PER_MINUTE: '5' });
    const tenant = await newTenant(t.ctx.db);
    viewer = await newApiKey(t.ctx.db, tenant, 'viewer');
    operator = await newApiKey(t.ctx.db, tenant, 'operator');
    admin = await newApiKey(t.ctx.db, tenant, 'admin');
    sku = (await newProduct(t.ctx.db, tenant, { stock: 3 })).sku;
  });
  afterAll(() => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

  it('refuses a request without a key with 401 in the one error shape', async () => {
    const res = await get('/orders');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHORIZED');
    expect(res.json().error.message).toMatch(/Authorization: Bearer/);
  });

  it('refuses an unknown key and a revoked key with 401', async () => {
    expect((await get('/orders', bearer('osk_nope_nope'))).statusCode).toBe(401);
    const { rows } = await t.ctx.db.query<{ id: string }>(`SELECT id FROM api_keys WHERE role = 'operator' ORDER BY created_at DESC LIMIT 1`);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/keys/${rows[0]!.id}`, headers: bearer(admin) });
    expect(revoked.statusCode).toBe(204);
    expect((await get('/orders', bearer(operator))).json().error.message).toBe('This API key is unknown or revoked.');
  });

  it('lets a viewer read but not act (403 naming the role needed)', async () => {
    expect((await get(`/inventory/${sku}`, bearer(viewer))).statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/adjust`,
      headers: bearer(viewer),
      payload: { delta: 1, reason: 'count' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toBe('This route needs the operator role; the key has viewer.');
  });

  it('keeps key management to admins', async () => {
    expect((await get('/keys', bearer(viewer))).statusCode).toBe(403);
    expect((await get('/keys', bearer(admin))).statusCode).toBe(200);
  });

  it('refuses a body over the limit with 413 (checked after the key)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rate limits per key with 429 and Retry-After', async () => {
    const key = admin;
    let last = await get('/tenant', bearer(key));
    for (let i = 0; i < 6 && last.statusCode !== 429; i++) last = await get('/tenant', bearer(key));
    expect(last.statusCode).toBe(429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.json().error.code).toBe('RATE_LIMITED');
    // Health stays open however busy a key is.
    expect((await get('/health/live')).statusCode).toBe(200);
  });

});
