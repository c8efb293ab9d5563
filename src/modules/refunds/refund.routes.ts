import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { idempotent } from '../../http/idempotency.js';
import { errorResponses, idParams } from '../../http/schemas.js';
import { notFound } from '../../platform/errors.js';
import { findOrder } from '../orders/order.repository.js';
import { refundBody, refundDto, toRefundDto } from './refund.dto.js';
import { REFUND_SCOPE } from './refund.idempotency.js';
import { findRefund, refundsOfOrder, type Refund } from './refund.repository.js';
import { askGateway, bookRefund, orThrow } from './refund.service.js';

/**
 * The order id, lower-cased by validation: the Idempotency-Key request hash is taken over the
 * parsed params, so the same request spelled in upper case replays instead of a 422 (the CLI
 * hashes the stored, lower-case id).
 */
const orderIdParams = z.object({ id: z.uuid({ error: 'id must be a UUID' }).toLowerCase() });

/** Refunds booked by a request, asked about in onSend: after the commit, before the reply leaves. */
const bookedBy = new WeakMap<FastifyRequest, Refund>();

export const refundRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/orders/:id/refunds',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['refunds'],
        summary: 'Refund a paid order, in part or in full; the gateway answers asynchronously (pending -> succeeded | failed)',
        params: orderIdParams,
        headers: z.object({ 'idempotency-key': z.string().max(255).optional().describe('required') }),
        body: refundBody,
        response: { 201: refundDto, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
      onSend: async (req, reply, payload) => {
        const refund = bookedBy.get(req);
        bookedBy.delete(req);
        // 201 only once the booking committed; anything else rolled it back.
        if (refund && reply.statusCode === 201) {
          // Best effort: if this fails, the request queued with the booking asks again later.
          await askGateway(ctx, refund).catch((err: unknown) => req.log.warn({ err, refund: refund.id }, 'refund request to the gateway failed; the queued retry will ask again'));
        }
        return payload;
      },
    },
    async (req, reply) =>
      idempotent(ctx, req, reply, { required: true, scope: REFUND_SCOPE }, async (tx) => {
        const refund = orThrow(await bookRefund(ctx, tx, tenantOf(req), req.params.id, req.body, { askedAfterCommit: true }));
        bookedBy.set(req, refund);
        return { status: 201, body: toRefundDto(refund) };
      }),
  );

  app.get(
    '/orders/:id/refunds',
    {
      schema: {
        tags: ['refunds'],
        summary: "An order's refunds, oldest first",
        params: idParams,
        response: { 200: z.object({ items: z.array(refundDto) }), ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const order = await findOrder(ctx.db, tenantOf(req), req.params.id);
      if (!order) throw notFound('Order', req.params.id);
      return { items: (await refundsOfOrder(ctx.db, order.id)).map(toRefundDto) };
    },
  );

  app.get(
    '/refunds/:id',
    {
      schema: {
        tags: ['refunds'],
        summary: 'One refund and its status',
        params: idParams,
        response: { 200: refundDto, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const refund = await findRefund(ctx.db, tenantOf(req), req.params.id);
      if (!refund) throw notFound('Refund', req.params.id);
      return toRefundDto(refund);
    },
  );
};
