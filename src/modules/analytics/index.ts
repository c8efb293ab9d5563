import type { AppContext } from '../../context.js';
import type { AppModule } from '../module.js';
import { listTenants } from '../tenants/tenant.repository.js';
import { addVerifyCheck } from '../verify/verify.service.js';
import { registerAnalyticsJobs, stopAnalytics } from './analytics.jobs.js';
import { analyticsRoutes } from './analytics.routes.js';
import { verifyKpis } from './analytics.service.js';

/** `ordersys verify`: the live KPIs in Redis agree with the Postgres ledger, tenant by tenant. */
addVerifyCheck('kpis-match-ledger', async (ctx: AppContext, tenantId) => {
  const tenants = tenantId ? [tenantId] : (await listTenants(ctx.db)).map((t) => t.id);
  const breaches = [];
  for (const id of tenants) {
    const { drift } = await verifyKpis(ctx, id);
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

export const analyticsModule: AppModule = { name: 'analytics', routes: analyticsRoutes, jobs: registerAnalyticsJobs, stop: stopAnalytics };
