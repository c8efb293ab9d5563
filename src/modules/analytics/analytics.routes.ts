import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { errorResponses, isoDay } from '../../http/schemas.js';
import { isCurrencyCode } from '../../platform/money.js';
import { getKpis, getLeaderboard, getRevenueSeries } from './analytics.service.js';

const money = z.number().int().describe('integer minor units (cents)');
const day = (what: string) => isoDay().optional().describe(what);
const source = z.enum(['redis', 'postgres']).describe('where the figures were read: the live projection or the ledger');

const kpis = z.object({
  currency: z.string(),
  revenue: money.describe('gross revenue minus refunds'),
  grossRevenue: money.describe('totals of orders completed on these days'),
  ordersCompleted: z.number().int(),
  averageOrderValue: money.describe('grossRevenue / ordersCompleted, rounded half up; 0 without orders'),
  refundsCount: z.number().int(),
  refundsAmount: money.describe('refunds that succeeded on these days'),
  ordersFailed: z.number().int().describe('failed (no stock) and payment_failed'),
  ordersCancelled: z.number().int(),
});

const kpiReport = z.object({ from: z.string(), to: z.string(), timeZone: z.string(), source, currencies: z.array(kpis) });
const revenueSeries = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  source,
  series: z.array(z.object({ currency: z.string(), days: z.array(kpis.extend({ date: z.string() })) })),
});
const leaderboards = z.object({
  source,
  limit: z.number().int(),
  leaderboards: z.array(
    z.object({
      currency: z.string(),
      customers: z.array(
        z.object({ rank: z.number().int(), customerId: z.uuid(), name: z.string(), email: z.string(), netSpend: money, orders: z.number().int() }),
      ),
    }),
  ),
});

export const analyticsRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/analytics/kpis',
    {
      schema: {
        tags: ['analytics'],
        summary: "KPIs of a day (date) or of a range (from, to; both included), per currency, days in the tenant's time zone; default today",
        querystring: z.object({ date: day('one day'), from: day('first day'), to: day('last day, included') }),
        response: { 200: kpiReport, ...errorResponses(400, 401) },
      },
    },
    async (req) => getKpis(ctx, tenantOf(req), req.query),
  );

  app.get(
    '/analytics/revenue',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Daily KPI series for charts, one point per day of the range and currency (zero-filled)',
        querystring: z.object({ from: day('first day'), to: day('last day, included') }),
        response: { 200: revenueSeries, ...errorResponses(400, 401) },
      },
    },
    async (req) => getRevenueSeries(ctx, tenantOf(req), req.query),
  );

  app.get(
    '/analytics/leaderboard',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Top customers by net spend (completed orders minus refunds), per currency',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(10),
          currency: z.string().toUpperCase().refine(isCurrencyCode, 'must be an ISO 4217 currency code like EUR').optional(),
        }),
        response: { 200: leaderboards, ...errorResponses(400, 401) },
      },
    },
    async (req) => getLeaderboard(ctx, tenantOf(req), req.query.limit, req.query.currency),
  );
};
