import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { keyClaimOf, sendStored } from '../../http/idempotency.js';
import { bodyObject, dayOrInstant, errorResponses, idParams, isoInstant } from '../../http/schemas.js';
import { DomainError, notFound } from '../../platform/errors.js';
import { DAY_MS } from '../../platform/time.js';
import { jsonDates, orderDetailDto, orderDto, toOrderDto } from './order.dto.js';
import { findOrderDetail, listOrders } from './order.queries.js';
import { placementBatcher } from './order.placement.js';
import { advanceOrder, cancelOrder } from './order.service.js';
import { ORDER_STATUSES } from './order.state.js';
import type { Executor } from '../../platform/db/types.js';
import type { Order } from './order.types.js';

const placeOrderBody = bodyObject({
  orderCode: z.string().trim().min(1).max(100),
  customer: bodyObject({ email: z.email().toLowerCase(), name: z.string().trim().min(1).max(200) }),
  placedAt: isoInstant().optional(),
  items: z
    .array(bodyObject({ sku: z.string().trim().min(1).max(64), quantity: z.number().int().positive().max(1_000_000) }))
    .min(1)
    .max(500),
});

const listQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  customer: z.string().trim().min(1).max(320).optional().describe('email or customer id'),
  from: dayOrInstant().optional().describe('placed at or after (a date is its first instant, UTC)'),
  to: dayOrInstant().optional().describe('placed before this timestamp; a date includes its whole day (UTC)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

/** `from` and `to` as instants: a date-only `to` ends after its day, so from=to=a date is that day. */
function placedRange(from: string | undefined, to: string | undefined): { from?: Date; to?: Date } {
  const start = from === undefined ? undefined : new Date(from);
  const end = to === undefined ? undefined : new Date(Date.parse(to) + (to.length === 10 ? DAY_MS : 0));
  if (start && to !== undefined && Date.parse(to) < start.getTime()) throw new DomainError('INVALID_DATA', 'to: must not be before from');
  return { from: start, to: end };
}

export interface OrderRouteHooks {
  /** Set by the refunds module: refunds of an order for its detail page, and full refund on cancel. */
  refundsOf?: (ex: Executor, orderId: string) => Promise<Record<string, unknown>[]>;
  refundInFull?: (tx: Executor, order: Order) => Promise<void>;
}
export const orderRouteHooks: OrderRouteHooks = {};

export const orderRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const loadDetail = async (ex: Executor, tenantId: string, id: string) => {
    const detail = await findOrderDetail(ex, tenantId, id);
    if (!detail) throw notFound('Order', id);
    const { items, reservations, payments, events, hasRefunds, ...order } = detail;
    const refunds = hasRefunds && orderRouteHooks.refundsOf ? await orderRouteHooks.refundsOf(ex, id) : [];
    return { ...toOrderDto(order), items, reservations, payments, refunds: jsonDates(refunds), events };
  };

  app.post(
    '/orders',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['orders'],
        summary: 'Place an order (prices from the catalog); it is reserved, paid and finalized asynchronously',
        headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
        body: placeOrderBody,
        response: { 201: orderDetailDto, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (req, reply) => {
      const claim = keyClaimOf(req, { required: false, scope: 'POST /orders' });
      const input = { ...req.body, placedAt: req.body.placedAt ? new Date(req.body.placedAt) : undefined };
      return sendStored(reply, await placementBatcher(ctx).place({ tenantId: tenantOf(req), input, claim }));
    },
  );

  app.get(
    '/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'List orders, newest first, with filters and cursor paging',
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(orderDto), nextCursor: z.string().nullable() }), ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listOrders(ctx.db, tenantOf(req), {
        status: q.status,
        customer: q.customer,
        ...placedRange(q.from, q.to),
        limit: q.limit,
        cursor: q.cursor,
      });
      return { items: page.items.map(toOrderDto), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        tags: ['orders'],
        summary: 'One order with items, reservations, payments, refunds and its event timeline',
        params: idParams,
        response: { 200: orderDetailDto, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => loadDetail(ctx.db, tenantOf(req), req.params.id),
  );

  const action = (name: 'cancel' | 'ship' | 'deliver', summary: string) =>
    app.post(
      `/orders/:id/${name}`,
      {
        config: { role: 'operator' },
        schema: {
          tags: ['orders'],
          summary,
          params: idParams,
          body: bodyObject({ reason: z.string().trim().min(1).max(500).optional() }).nullish(),
          response: { 200: orderDetailDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => {
        const tenantId = tenantOf(req);
        const reason = req.body?.reason;
        if (name === 'cancel') await cancelOrder(ctx, tenantId, req.params.id, reason ?? 'cancelled by operator', orderRouteHooks.refundInFull);
        else await advanceOrder(ctx, tenantId, req.params.id, name, reason ? { note: reason } : {});
        return loadDetail(ctx.db, tenantId, req.params.id);
      },
    );
  action('cancel', 'Cancel: releases reserved stock; a paid order is refunded in full');
  action('ship', 'Mark a completed order shipped');
  action('deliver', 'Mark a shipped order delivered');
};
