import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import { ensureTenant, type Tenant } from './tenant.repository.js';

describe('tenant API', () => {
  let t: TestApp;
  let tenant: Tenant;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp({ GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
    tenant = await newTenant(t.ctx.db);
    auth = bearer(await newApiKey(t.ctx.db, tenant, 'admin'));
    // Completed orders, so the analytics reads below convert real timestamps to the tenant's day.
    const sku = (await newProduct(t.ctx.db, tenant, { stock: 100 })).sku;
    await runWorkflow(t.ctx, tenant.id, await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 1 }), newOrder({ [sku]: 2 })]));
  });
  afterAll(() => t?.close());

  const patch = (body: Record<string, unknown>) => t.app.inject({ method: 'PATCH', url: '/tenant', headers: auth, payload: body });
  const analytics = async () =>
    Promise.all(['/analytics/kpis', '/analytics/revenue'].map((url) => t.app.inject({ method: 'GET', url, headers: auth })));

  describe('GET /tenant', () => {
    it.each(['viewer', 'operator', 'admin'] as const)('names the role of the %s key that asked, for the dashboard to offer only what it may do', async (role) => {
      const key = await newApiKey(t.ctx.db, tenant, role);
      const res = await t.app.inject({ method: 'GET', url: '/tenant', headers: bearer(key) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ id: tenant.id, slug: tenant.slug, name: expect.any(String), timeZone: expect.any(String), role });
    });
  });

  describe('PATCH /tenant', () => {
    it.each(['US/Pacific-New', 'Factory', 'Mars/Olympus', 'posix/Europe/Paris', 'EST5EDT,M3.2.0,M11.1.0', 'Europe/Paris/'])(
      'refuses the time zone %j, naming body.timeZone, and keeps analytics answering',
      async (zone) => {
        const before = (await t.app.inject({ method: 'GET', url: '/tenant', headers: auth })).json().timeZone as string;
        const res = await patch({ timeZone: zone });
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toMatchObject({ code: 'INVALID_DATA', details: { issues: [{ field: 'body.timeZone' }] } });
        expect(res.json().error.message).toMatch(/^body\.timeZone: .*Europe\/Paris/);
        expect(res.json().error.message).toContain(JSON.stringify(zone));
        expect((await t.app.inject({ method: 'GET', url: '/tenant', headers: auth })).json().timeZone).toBe(before);
        for (const report of await analytics()) expect(report.statusCode).toBe(200);
      },
    );

    it.each([
      ['europe/paris', 'Europe/Paris'],
      ['utc', 'UTC'],
      ['AMERICA/NEW_YORK', 'America/New_York'],
      ['Asia/Kolkata', 'Asia/Kolkata'],
      [' Europe/Lisbon ', 'Europe/Lisbon'],
    ])('stores %j in its canonical spelling %j, which analytics then counts days in', async (given, stored) => {
      const res = await patch({ timeZone: given });
      expect(res.statusCode).toBe(200);
      expect(res.json().timeZone).toBe(stored);
      for (const report of await analytics()) {
        expect(report.statusCode).toBe(200);
        expect(report.json().timeZone).toBe(stored);
      }
    });

    it('renames without touching the time zone', async () => {
      await patch({ timeZone: 'Europe/Berlin' });
      const res = await patch({ name: 'Renamed' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ name: 'Renamed', timeZone: 'Europe/Berlin' });
    });
  });

  describe(ensureTenant.name, () => {
    it('creates a tenant in the canonical spelling of the zone it is given', async () => {
      expect((await ensureTenant(t.ctx.db, 'tz-canonical', 'TZ', 'europe/paris')).timeZone).toBe('Europe/Paris');
    });

    it('refuses a zone the database does not know, creating nothing', async () => {
      await expect(ensureTenant(t.ctx.db, 'tz-unknown', 'TZ', 'US/Pacific-New')).rejects.toThrow(/^timeZone: .*US\/Pacific-New/);
      const { rows } = await t.ctx.db.query(`SELECT 1 FROM tenants WHERE slug = 'tz-unknown'`);
      expect(rows).toEqual([]);
    });

    it.each(['Bad Slug', '', 'BAD_SLUG', '-dash-first', 'a'.repeat(64)])('refuses the slug %j with the rule, not a constraint error, creating nothing', async (slug) => {
      const before = await t.ctx.db.query(`SELECT id FROM tenants`);
      const refused = ensureTenant(t.ctx.db, slug);
      await expect(refused).rejects.toMatchObject({ code: 'INVALID_DATA' });
      await expect(refused).rejects.toThrow(`tenant: "${slug}" must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit`);
      expect((await t.ctx.db.query(`SELECT id FROM tenants`)).rows).toEqual(before.rows);
    });

    it('refuses an empty or over-long name, naming it', async () => {
      await expect(ensureTenant(t.ctx.db, 'no-name', '')).rejects.toThrow('name: must be 1 to 200 characters (got 0).');
      await expect(ensureTenant(t.ctx.db, 'long-name', 'é'.repeat(201))).rejects.toThrow('name: must be 1 to 200 characters (got 201).');
      expect((await ensureTenant(t.ctx.db, 'long-name', '😀'.repeat(200))).name).toHaveLength(400);
    });
  });
});
