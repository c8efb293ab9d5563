import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres, testRedisUrl } from '../../../test/backend.js';
import { cliEnvFor } from '../../../test/cli-env.js';
import { runCli } from '../../../test/cli.js';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newCustomer, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import { createRedis } from '../../platform/redis.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { ProjectorRunner } from './analytics.jobs.js';
import { getKpis, rebuildKpis, verifyKpis } from './analytics.service.js';
import { applyDelta, boardKey, field, kpiKey, readCheckpoint, zoneKey } from './kpi.store.js';
import { aggregate } from './kpi.js';
import { lastPositionBelow, tenantsBehind } from './ledger.repository.js';
import { safeHorizon } from '../../platform/db/horizon.js';
import { Projector, type ProjectorOptions } from './projector.js';
import { catchUp, catchUpAll, settled } from './testing.js';

/**
 * A tenant with `orders` orders over 4 customers, and their counted events written in several
 * transactions (so several xids): completions, some refunds, failures and cancellations.
 * Returns the gross revenue and refunds it wrote.
 */
async function seedActivity(ctx: TestContext, tenant: Tenant, orders: number) {
  const product = await newProduct(ctx.db, tenant, { stock: 10_000 });
  const customers = await Promise.all([0, 1, 2, 3].map((i) => newCustomer(ctx.db, tenant, { name: `Customer ${i}` })));
  const ids = await placeOrders(
    ctx,
    tenant.id,
    Array.from({ length: orders }, (_, i) =>
      newOrder({}, { customerEmail: customers[i % 4]!.email, items: [{ sku: product.sku, quantity: 1, unitPrice: 1000 + i }] }),
    ),
  );
  let gross = 0;
  let refunds = 0;
  for (let i = 0; i < ids.length; i += 5) {
    await ctx.db.transaction(async (tx) => {
      for (const [j, id] of ids.slice(i, i + 5).entries()) {
        const n = i + j;
        const type = n % 9 === 8 ? 'order.cancelled' : n % 7 === 6 ? 'order.payment_failed' : 'order.completed';
        await tx.query(`INSERT INTO order_events (tenant_id, order_id, type) VALUES ($1, $2, $3)`, [tenant.id, id, type]);
        if (type !== 'order.completed') continue;
        gross += 1000 + n;
        if (n % 4 === 1) {
          refunds += 300;
          await tx.query(`INSERT INTO order_events (tenant_id, order_id, type, data) VALUES ($1, $2, 'refund.succeeded', $3)`, [
            tenant.id,
            id,
            JSON.stringify({ refundId: `r-${n}`, amount: 300, currency: 'EUR' }),
          ]);
        }
      }
    });
  }
  return { gross, refunds };
}

describe.runIf(Boolean(testRedisUrl))('analytics projector (Redis)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('cli');
  });
  afterAll(() => ctx.dispose());

  const projector = (options: ProjectorOptions = {}, registry = new Registry()) =>
    new Projector({ db: ctx.db, redis: ctx.redis!, logger: ctx.logger, metrics: { registry } }, options);

  async function projectedTotal(registry: Registry): Promise<number> {
    const metric = await registry.getSingleMetricAsString('ordersys_analytics_events_projected_total');
    return Number(/ (\d+)$/m.exec(metric)?.[1] ?? 0);
  }

  it('resumes after being killed mid-batch: nothing dropped, nothing counted twice', async () => {
    await catchUpAll(ctx); // other tenants of this file are not part of the story
    const tenant = await newTenant(ctx.db);
    const { gross, refunds } = await seedActivity(ctx, tenant, 40);
    await settled(ctx, tenant.id);

    let chunks = 0;
    const killed = projector({
      chunkSize: 8,
      beforeApply: () => {
        if (++chunks === 3) throw new Error('killed');
      },
    });
    await expect(killed.runOnce()).rejects.toThrow('killed');

    // Two chunks landed, with their checkpoint: Redis is exactly the ledger up to it.
    const halfway = await verifyKpis(ctx, tenant.id);
    expect(halfway.drift).toEqual([]);
    const cp = await readCheckpoint(ctx.redis!, tenant.id);
    expect(cp).toBeDefined();
    expect(cp).not.toEqual(await lastPositionBelow(ctx.db, tenant.id, await safeHorizon(ctx.db)));

    // The same chunk offered again from the old position is refused.
    expect(await applyDelta(ctx.redis!, tenant.id, { xid: '0', id: 0 }, cp!, aggregate([]), 'UTC')).toBe('moved');

    const registry = new Registry();
    await projector({ chunkSize: 8 }, registry).runOnce();
    await catchUp(ctx, tenant.id);
    expect(await verifyKpis(ctx, tenant.id)).toMatchObject({ drift: [] });
    const day = (await getKpis(ctx, tenant.id, {})).from;
    const live = await getKpis(ctx, tenant.id, { date: day });
    expect(live.source).toBe('redis');
    expect(live.currencies[0]).toMatchObject({ grossRevenue: gross, refundsAmount: refunds, revenue: gross - refunds });
    expect(await projectedTotal(registry)).toBeGreaterThan(0);
  });

  it('two projectors racing for the same chunks apply each event once', async () => {
    await catchUpAll(ctx);
    const tenant = await newTenant(ctx.db);
    const { gross } = await seedActivity(ctx, tenant, 30);
    await settled(ctx, tenant.id);
    const registry = new Registry();
    let arrived = 0;
    let release!: () => void;
    const bothHaveRead = new Promise<void>((resolve) => (release = resolve));
    const racing = (): ProjectorOptions => {
      let first = true;
      return {
        chunkSize: 10,
        beforeApply: async () => {
          if (!first) return;
          first = false;
          if (++arrived === 2) release();
          await bothHaveRead;
        },
      };
    };
    const [a, b] = await Promise.all([projector(racing(), registry).runOnce(), projector(racing(), registry).runOnce()]);
    // Exactly one of them applied the contended chunk; whoever lost stopped for that tenant.
    expect(arrived).toBe(2);
    await projector({}, registry).runOnce();
    const events = Number((await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM order_events WHERE tenant_id = $1 AND type IN ('order.completed', 'order.failed', 'order.payment_failed', 'order.cancelled', 'refund.succeeded')`,
      [tenant.id],
    )).rows[0]!.n);
    expect(await projectedTotal(registry)).toBe(events);
    expect(a + b).toBeLessThan(2 * events);
    expect(await verifyKpis(ctx, tenant.id)).toMatchObject({ drift: [] });
    expect((await getKpis(ctx, tenant.id, {})).currencies[0]!.grossRevenue).toBe(gross);
  });

  it('verify reports drift in a day or a customer; rebuild repairs it and the projector carries on', async () => {
    const tenant = await newTenant(ctx.db);
    await seedActivity(ctx, tenant, 12);
    await catchUp(ctx, tenant.id);
    const day = (await getKpis(ctx, tenant.id, {})).from;
    await ctx.redis!.hset(kpiKey(tenant.id, day), field('gross_revenue', 'EUR'), '1');
    const [someone] = await ctx.redis!.zrange(boardKey(tenant.id, 'EUR'), 0, 0);
    await ctx.redis!.zincrby(boardKey(tenant.id, 'EUR'), 5, someone!);

    const drifted = await verifyKpis(ctx, tenant.id);
    expect(drifted.drift).toEqual([
      expect.objectContaining({ what: `${day} EUR gross_revenue`, live: 1 }),
      expect.objectContaining({ what: `customer ${someone} EUR net_spend` }),
    ]);

    const rebuilt = await rebuildKpis(ctx, tenant.id);
    expect(rebuilt).toMatchObject({ redis: true, days: 1, customers: 4 });
    expect(await verifyKpis(ctx, tenant.id)).toMatchObject({ drift: [] });

    await seedActivity(ctx, tenant, 6); // more sales after the rebuild
    await catchUp(ctx, tenant.id);
    expect(await verifyKpis(ctx, tenant.id)).toMatchObject({ drift: [] });
  });

  it('a tenant whose zone the database does not know fails alone: the tenants after it are projected, and it is named', async () => {
    await catchUpAll(ctx);
    // First in the projector's order (tenants by id), so a tenant that stopped the run would stop every other.
    const { rows: [broken] } = await ctx.db.query<{ id: string; slug: string }>(
      `INSERT INTO tenants (id, slug, name) VALUES (('00000000-0000-4000-8000-' || substr(md5(random()::text), 1, 12))::uuid, 'tz-' || substr(md5(random()::text), 1, 10), 'Broken zone')
       RETURNING id, slug`);
    const fine = await newTenant(ctx.db);
    await seedActivity(ctx, broken as Tenant, 5);
    const { gross } = await seedActivity(ctx, fine, 5);
    await settled(ctx, broken!.id);
    await settled(ctx, fine.id);
    // As a tzdata upgrade of the database (or a zone stored before zones were checked) leaves it.
    await ctx.db.query(`UPDATE tenants SET time_zone = 'Mars/Olympus_Mons' WHERE id = $1`, [broken!.id]);

    await expect(projector().runOnce()).rejects.toThrow(`KPI projection failed for 1 tenant(s): ${broken!.slug} (`);
    const live = await getKpis(ctx, fine.id, {});
    expect(live).toMatchObject({ source: 'redis' });
    expect(live.currencies[0]!.grossRevenue).toBe(gross);
    expect(await verifyKpis(ctx, fine.id)).toMatchObject({ drift: [] });

    await ctx.db.query(`UPDATE tenants SET time_zone = 'UTC' WHERE id = $1`, [broken!.id]);
    await catchUp(ctx, broken!.id);
  });

  it("recuts the figures when the tenant's zone changes, and rebuilds figures projected before zones were recorded", async () => {
    const tenant = await newTenant(ctx.db);
    const { gross } = await seedActivity(ctx, tenant, 12);
    await catchUp(ctx, tenant.id);
    const utcDay = (await getKpis(ctx, tenant.id, {})).from;
    // A zone whose day differs from UTC's right now: UTC+14 from 10:00 UTC, UTC-11 before 11:00 UTC.
    const zone = new Date().getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
    await ctx.db.query(`UPDATE tenants SET time_zone = $2 WHERE id = $1`, [tenant.id, zone]);
    expect((await verifyKpis(ctx, tenant.id)).drift.length).toBeGreaterThan(0); // Redis still holds UTC days
    await projector().runOnce();
    expect(await ctx.redis!.get(zoneKey(tenant.id))).toBe(zone);
    expect(await verifyKpis(ctx, tenant.id)).toMatchObject({ drift: [] });
    const { rows } = await ctx.db.query<{ day: string }>(
      `SELECT DISTINCT to_char(created_at AT TIME ZONE $2, 'YYYY-MM-DD') AS day FROM order_events WHERE tenant_id = $1`, [tenant.id, zone]);
    const days = rows.map((r) => r.day).sort();
    const live = await getKpis(ctx, tenant.id, { from: days[0]!, to: days[days.length - 1]! });
    expect(live.source).toBe('redis');
    expect(live.currencies[0]!.grossRevenue).toBe(gross);
    expect(days).not.toEqual([utcDay]);

    // Redis written before zones were recorded (no zone key): rebuilt once, then projected on.
    await ctx.redis!.del(zoneKey(tenant.id));
    await ctx.redis!.hset(kpiKey(tenant.id, days[0]!), field('gross_revenue', 'EUR'), '1');
    await projector().runOnce();
    expect(await verifyKpis(ctx, tenant.id)).toMatchObject({ drift: [] });
    await ctx.db.query(`UPDATE tenants SET time_zone = 'UTC' WHERE id = $1`, [tenant.id]);
    await catchUp(ctx, tenant.id);
  });

  it('a refund it never counts (money captured after a cancellation) is not reported as waiting to be projected', async () => {
    const tenant = await newTenant(ctx.db);
    await seedActivity(ctx, tenant, 3);
    const product = await newProduct(ctx.db, tenant, { stock: 10 });
    const [late] = await placeOrders(ctx, tenant.id, [newOrder({ [product.sku]: 1 })]);
    await ctx.db.query(`INSERT INTO order_events (tenant_id, order_id, type) VALUES ($1, $2, 'order.cancelled')`, [tenant.id, late]);
    await ctx.db.query(
      `INSERT INTO order_events (tenant_id, order_id, type, data) VALUES ($1, $2, 'refund.succeeded', '{"refundId":"late-1","amount":500,"currency":"EUR"}')`,
      [tenant.id, late]);
    await settled(ctx, tenant.id);
    await catchUp(ctx, tenant.id);
    expect(await verifyKpis(ctx, tenant.id)).toMatchObject({ drift: [], unprojected: 0 });
    const horizon = await safeHorizon(ctx.db);
    expect(await tenantsBehind(ctx.db, new Map([[tenant.id, (await readCheckpoint(ctx.redis!, tenant.id))!]]), horizon)).toEqual([]);
  });

  it('keeps the workflow independent of Redis: a projector on an unreachable Redis fails, and the loop stops cleanly', async () => {
    const logger = pino({ level: 'silent' });
    const dead = createRedis('redis://127.0.0.1:1', logger, 'dead');
    try {
      const deadProjector = new Projector({ db: ctx.db, redis: dead, logger, metrics: { registry: new Registry() } });
      await expect(deadProjector.runOnce()).rejects.toThrow();
      const runner = new ProjectorRunner(ctx, deadProjector);
      runner.start(10);
      await new Promise((r) => setTimeout(r, 50));
      await runner.stop();
    } finally {
      dead.disconnect();
    }

    const tenant = await newTenant(ctx.db);
    await seedActivity(ctx, tenant, 5);
    await settled(ctx, tenant.id);
    const live = new ProjectorRunner(ctx, projector());
    live.start(10);
    const target = await lastPositionBelow(ctx.db, tenant.id, await safeHorizon(ctx.db));
    for (let i = 0; i < 200 && JSON.stringify(await readCheckpoint(ctx.redis!, tenant.id)) !== JSON.stringify(target); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await live.stop();
    expect(await readCheckpoint(ctx.redis!, tenant.id)).toEqual(target);
  });
});

// The CLI is a second process on the same database: PGlite is one process's database.
describe.runIf(onPostgres && Boolean(testRedisUrl))('ordersys kpi', () => {
  let ctx: TestContext;
  let tenant: Tenant;
  let env: Record<string, string | undefined>;
  let cleanup = () => {};
  beforeAll(async () => {
    ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
    tenant = await newTenant(ctx.db);
    ({ env, cleanup } = cliEnvFor(ctx, tenant.slug, { REDIS_URL: testRedisUrl }));
    // Real completions: `kpi verify` also checks the ledger against the order rows, which the
    // hand-written events of seedActivity would not match.
    const product = await newProduct(ctx.db, tenant, { stock: 100 });
    const ids = await placeOrders(ctx, tenant.id, Array.from({ length: 10 }, (_, i) => newOrder({ [product.sku]: 1 + (i % 3) })));
    await runWorkflow(ctx, tenant.id, ids);
    await catchUp(ctx, tenant.id);
  });
  afterAll(async () => {
    await ctx.dispose();
    cleanup();
  });

  it('prints KPIs and the leaderboard, and verify exits non-zero on drift until rebuild', async () => {
    const day = (await getKpis(ctx, tenant.id, {})).from;
    const kpi = await runCli(['kpi', '--date', day], env);
    expect(kpi.stderr).toBe('');
    expect(kpi.stdout).toMatch(/EUR {2}revenue [\d.]+ {2}gross [\d.]+ {2}orders \d+/);
    expect(kpi.stdout).toMatch(/from redis/);
    const board = await runCli(['leaderboard', '--limit', '2'], env);
    expect(board.stdout.trim().split('\n')).toHaveLength(3);

    expect((await runCli(['kpi', 'verify'], env)).code).toBe(0);
    await ctx.redis!.hset(kpiKey(tenant.id, day), field('orders_completed', 'EUR'), '999');
    const drifted = await runCli(['kpi', 'verify'], env);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(new RegExp(`drift: ${day} EUR orders_completed: live 999, ledger \\d+`));

    const rebuilt = await runCli(['kpi', 'rebuild', '--tenant', tenant.slug], env);
    expect(rebuilt.code).toBe(0);
    expect((await runCli(['kpi', 'verify'], env)).code).toBe(0);

    const withoutRedis = await runCli(['kpi', 'verify'], { ...env, REDIS_URL: undefined });
    expect(withoutRedis.code).toBe(0);
    expect(withoutRedis.stdout).toMatch(/^no drift \(no REDIS_URL: reads answer from the ledger; ledger: 10 orders and 0 succeeded refunds compared with their rows\)$/m);
  });
});
