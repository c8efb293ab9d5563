import type { AppContext } from '../../context.js';
import type { AppModule } from '../module.js';
import { listTenants } from '../tenants/tenant.repository.js';
import { addVerifyCheck } from '../verify/verify.service.js';
import { registerAnalyticsJobs, stopAnalytics } from './analytics.jobs.js';
import { analyticsRoutes } from './analytics.routes.js';
import { verifyLedger, verifyLive } from './analytics.service.js';

type Drift = { drift: readonly object[] };

/**
 * One verify check, tenant by tenant. A tenant whose figures cannot be checked (its sums past
 * 2^53 minor units, which no JavaScript number holds exactly) is a breach of its own, named with
 * the reason; the other tenants are still checked.
 */
function perTenant(name: string, rule: string, check: (ctx: AppContext, tenantId: string) => Promise<Drift>) {
  addVerifyCheck(name, async (ctx: AppContext, tenantId) => {
    const breaches = [];
    for (const id of await tenantsOf(ctx, tenantId)) {
      let drift: readonly object[];
      try {
        ({ drift } = await check(ctx, id));
      } catch (err) {
        drift = [{ error: err instanceof Error ? err.message : String(err) }];
      }
      if (drift.length) breaches.push({ name, rule, count: drift.length, sample: drift.slice(0, 5).map((d) => ({ tenant: id, ...d })) });
    }
    return breaches;
  });
}

/** `ordersys verify`: the live KPIs in Redis agree with the Postgres ledger, tenant by tenant. */
perTenant('kpis-match-ledger', 'live KPIs and leaderboard equal the Postgres ledger up to the projector checkpoint', verifyLive);

/** `ordersys verify`: the ledger counts each completion, failure, cancellation and refund the rows record, once. */
perTenant(
  'kpi-ledger-matches-orders',
  'the KPI ledger (counted order events) equals what the order and refund rows record, per currency and per order',
  verifyLedger,
);

async function tenantsOf(ctx: AppContext, tenantId: string | null): Promise<string[]> {
  return tenantId ? [tenantId] : (await listTenants(ctx.db)).map((t) => t.id);
}

export const analyticsModule: AppModule = { name: 'analytics', routes: analyticsRoutes, jobs: registerAnalyticsJobs, stop: stopAnalytics };
