import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { idempotent, shownOnce } from '../../http/idempotency.js';
import { bodyObject, errorResponses, idParams } from '../../http/schemas.js';
import { notFound } from '../../platform/errors.js';
import { eventIdOf, KNOWN_EVENT_TYPES } from './envelope.js';
import { createSubscription, redeliver, removeSubscription, subscriptionsOf } from './webhook.service.js';
import { findSubscription, listDeliveries, type DeliveryRow, type Subscription } from './webhook.repository.js';

const iso = z.string().describe('ISO 8601 timestamp');

const subscriptionDto = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  createdAt: iso,
});
const createdDto = subscriptionDto.extend({
  secret: z
    .string()
    .optional()
    .describe('Signing secret, shown in this response only (absent when an Idempotency-Key replay answers)'),
});

const createBody = bodyObject({
  url: z.url({ protocol: /^https?$/, error: 'url must be an http:// or https:// URL' }).max(2000),
  events: z
    .array(
      // Known types only: a misspelt type would subscribe to nothing and never say so.
      z.enum(['*', ...KNOWN_EVENT_TYPES] as [string, ...string[]], {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not an event type; use "*" for all, or one of ${KNOWN_EVENT_TYPES.join(', ')} (docs/events.md).`,
      }),
    )
    .min(1, 'events must name at least one type, or "*" for all')
    .max(100)
    .transform((events) => [...new Set(events)]),
});

const attemptDto = z.object({ attempt: z.number().int(), statusCode: z.number().int().nullable(), latencyMs: z.number().int(), error: z.string().nullable(), attemptedAt: iso });
const deliveryDto = z.object({
  id: z.number().int(),
  eventId: z.string(),
  eventType: z.string(),
  orderId: z.uuid().nullable(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: iso.nullable(),
  giveUpAt: iso,
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: iso,
  deliveredAt: iso.nullable(),
  attemptLog: z.array(attemptDto).describe('Every attempt, oldest first, with status code and latency'),
});

const toSubscriptionDto = (s: Subscription) => ({ id: s.id, url: s.url, events: s.events, createdAt: s.createdAt.toISOString() });
const isoOf = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const toDeliveryDto = (d: DeliveryRow) => ({
  ...d,
  eventId: eventIdOf(d.eventId),
  nextAttemptAt: isoOf(d.nextAttemptAt),
  giveUpAt: d.giveUpAt.toISOString(),
  createdAt: d.createdAt.toISOString(),
  deliveredAt: isoOf(d.deliveredAt),
  attemptLog: d.attemptLog.map((a) => ({ ...a, attemptedAt: isoOf(a.attemptedAt)! })),
});

const deliveryParams = idParams.extend({ deliveryId: z.coerce.number().int().positive({ error: 'deliveryId must be a delivery id' }) });

export const webhookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/webhooks/subscriptions',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['webhooks'],
        summary: 'Subscribe a URL to event types; the signing secret is returned in this response only',
        headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
        body: createBody,
        response: { 201: createdDto, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (req, reply) =>
      idempotent(ctx, req, reply, { required: false, scope: 'POST /webhooks/subscriptions' }, async (tx) => {
        const { subscription, secret } = await createSubscription(ctx, tx, tenantOf(req), req.body.url, req.body.events);
        return { status: 201, body: shownOnce(toSubscriptionDto(subscription), { secret }) };
      }),
  );

  app.get(
    '/webhooks/subscriptions',
    {
      config: { role: 'admin' },
      schema: { tags: ['webhooks'], summary: 'This tenant’s webhook subscriptions (never their secrets)', response: { 200: z.object({ items: z.array(subscriptionDto) }), ...errorResponses(401, 403) } },
    },
    async (req) => ({ items: (await subscriptionsOf(ctx, tenantOf(req))).map(toSubscriptionDto) }),
  );

  app.delete(
    '/webhooks/subscriptions/:id',
    {
      config: { role: 'admin' },
      schema: { tags: ['webhooks'], summary: 'Unsubscribe; deliveries still pending are marked failed', params: idParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    },
    async (req, reply) => {
      await removeSubscription(ctx, tenantOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/subscriptions/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['webhooks'],
        summary: 'Deliveries of a subscription, newest first, each with every attempt (status code, latency, error)',
        params: idParams,
        querystring: z.object({
          status: z.enum(['pending', 'delivered', 'failed']).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          before: z.coerce.number().int().positive().optional().describe('delivery id: page to older deliveries'),
        }),
        response: { 200: z.object({ items: z.array(deliveryDto), nextBefore: z.number().int().nullable() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const sub = await findSubscription(ctx.db, tenantOf(req), req.params.id);
      if (!sub) throw notFound('Webhook subscription', req.params.id);
      const rows = await listDeliveries(ctx.db, sub.id, req.query);
      return { items: rows.map(toDeliveryDto), nextBefore: rows.length === req.query.limit ? rows[rows.length - 1]!.id : null };
    },
  );

  app.post(
    '/webhooks/subscriptions/:id/deliveries/:deliveryId/redeliver',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivery again now (delivered or failed), with a fresh retry window',
        params: deliveryParams,
        response: { 202: z.object({ id: z.number().int(), status: z.literal('pending') }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await redeliver(ctx, tenantOf(req), req.params.id, req.params.deliveryId);
      return reply.code(202).send({ id: req.params.deliveryId, status: 'pending' as const });
    },
  );
};
