import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/backend.js';
import { cliEnvFor } from '../../../test/cli-env.js';
import { runCli } from '../../../test/cli.js';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import { parseSince } from '../../cli/notifications.command.js';
import { applyTransition } from '../orders/order.transitions.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { deliverNotifications } from './notification.delivery.js';

describe('ordersys notifications report', () => {
  it('reads --since as a duration back from now or as a date, and names the option when it is neither', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    expect(parseSince('24h', now).toISOString()).toBe('2026-03-09T12:00:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-03-03T12:00:00.000Z');
    expect(parseSince('2026-03-01', now).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/--since: "yesterday"/);
  });

  it('refuses a day the calendar does not have, and a --since outside the years 1900-2999', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    expect(parseSince('2024-02-29', now).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(() => parseSince('2024-02-30', now)).toThrow('--since: "2024-02-30" is not a calendar date.');
    expect(() => parseSince('2023-02-29T10:00:00Z', now)).toThrow('--since: "2023-02-29T10:00:00Z" is not a calendar date.');
    expect(() => parseSince('1899-12-31', now)).toThrow('--since: "1899-12-31" must be in the years 1900-2999.');
    expect(() => parseSince('99999999999d', now)).toThrow('--since: "99999999999d" reaches back too far: the date must be in the years 1900-2999.');
    expect(() => parseSince('50000d', now)).toThrow(/^--since: "50000d" reaches back too far/);
    expect(parseSince('40000d', now).getUTCFullYear()).toBe(1916);
  });

  it('says so in one line, not with a RangeError, when --since reaches back too far', async () => {
    const env = { ORDERSYS_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ordersys-nf-')) };
    // A tenant to report on, so nothing but --since can stop the command.
    expect((await runCli(['seed', '--products', '0', '--customers', '0'], env)).code).toBe(0);
    const res = await runCli(['notifications', 'report', '--since', '99999999999d'], env);
    rmSync(env.ORDERSYS_DATA_DIR, { recursive: true, force: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('ordersys: --since: "99999999999d" reaches back too far: the date must be in the years 1900-2999.\n');
  });

  it('refuses an unknown --status before touching the database', async () => {
    const res = await runCli(['notifications', 'report', '--status', 'lost'], { ORDERSYS_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ordersys-nf-')) });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/--status.*lost/);
  });

  // The CLI is a second process on the same database: PGlite is one process's database.
  describe.runIf(onPostgres)('against a database with history', () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let env: Record<string, string | undefined>;
    let cleanup = () => {};
    beforeAll(async () => {
      ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
      tenant = await newTenant(ctx.db);
      ({ env, cleanup } = cliEnvFor(ctx, tenant.slug));
      const p = await newProduct(ctx.db, tenant);
      const ids = await placeOrders(ctx, tenant.id, [newOrder({ [p.sku]: 1 }), newOrder({ [p.sku]: 1 })]);
      await runWorkflow(ctx, tenant.id, ids);
      await ctx.db.transaction((tx) => applyTransition(tx, tenant.id, 'ship', [{ orderId: ids[0]! }]));
      const { rows } = await ctx.db.query<{ id: string }>(`SELECT id FROM notifications WHERE tenant_id = $1 AND type = 'order_confirmation'`, [tenant.id]);
      await deliverNotifications(ctx, tenant.id, rows.map((r) => r.id));
    });
    afterAll(async () => {
      await ctx.dispose();
      cleanup();
    });

    it('prints the history with totals, filtered', async () => {
      const all = await runCli(['notifications', 'report'], env);
      expect(all.stderr).toBe('');
      expect(all.code).toBe(0);
      expect(all.stdout).toContain('6 notifications');
      expect(all.stdout).toMatch(/by status: +queued 2, sent 4, failed 0/);
      expect(all.stdout).toMatch(/by type: +.*order_confirmation 4/);

      const shipped = await runCli(['notifications', 'report', '--type', 'order_shipped', '--status', 'queued', '--since', '1h', '--limit', '1'], env);
      expect(shipped.code).toBe(0);
      expect(shipped.stdout).toContain('2 notifications (1 shown)');
      expect(shipped.stdout.split('\n').filter((l) => l.includes('order_shipped') && l.includes('queued'))).toHaveLength(1);
    });
  });
});
