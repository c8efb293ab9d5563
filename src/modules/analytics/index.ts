import type { AppContext } from '../../context.js';
import type { AppModule } from '../module.js';
import { listTenants } from '../tenants/tenant.repository.js';
import { addVerifyCheck } from '../verify/verify.service.js';
import { registerAnalyticsJobs, stopAnalytics } from './analytics.jobs.js';
import { analyticsRoutes } from './analytics.routes.js';
import { verifyLedger, verifyLive } from './analytics.service.js';

/** `ordersys verify`: the live KPIs in Redis agree with the Postgres ledger, tenant by tenant. */
addVerifyCheck('kpis-match-ledger', async (ctx: AppContext, tenantId) => {
  const breaches = [];
  for (const id of await tenantsOf(ctx, tenantId)) {
    const { drift } = await verifyLive(ctx, id);
    if (drift.length) {
      breaches.push({
        name: 'kpis-match-ledger',
        rule: 'live KPIs and leaderboard equal the Postgres ledger up to the projector checkpoint',
        count: drift.length,
        sample: drift.slice(0, 5).map((d) => ({ tenant: id, ...d })),
      });
    }
  }
  return breaches;
});

/** `ordersys verify`: the ledger counts each completion, failure, cancellation and refund the rows record, once. */
addVerifyCheck('kpi-ledger-matches-orders', async (ctx: AppContext, tenantId) => {
  const breaches = [];
  for (const id of await tenantsOf(ctx, tenantId)) {
    const { drift } = await verifyLedger(ctx, id);
    if (drift.length) {
      breaches.push({
        name: 'kpi-ledger-matches-orders',
        rule: 'the KPI ledger (counted order events) equals what the order and refund rows record, per currency and per order',
        count: drift.length,
        sample: drift.slice(0, 5).map((d) => ({ tenant: id, ...d })),
      });
    }
  }
  return breaches;
});

async function tenantsOf(ctx: AppContext, tenantId: string | null): Promise<string[]> {
  return tenantId ? [tenantId] : (await listTenants(ctx.db)).map((t) => t.id);
}

export const analyticsModule: AppModule = { name: 'analytics', routes: analyticsRoutes, jobs: registerAnalyticsJobs, stop: stopAnalytics };
