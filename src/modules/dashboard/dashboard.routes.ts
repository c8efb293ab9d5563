import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { DomainError } from '../../platform/errors.js';
import { orderDto, toOrderDto } from '../orders/order.dto.js';
import { ORDER_STATUSES } from '../orders/order.state.js';
import { countOrdersByStatus } from '../orders/status-tallies.js';
import { activeKeyIds, keyIsActive, lastEventId, searchOrdersByCode } from './dashboard.repository.js';
import { LiveHub } from './live-hub.js';
import { mintStreamToken, verifyStreamToken } from './stream-token.js';

const HEARTBEAT_MS = 15_000;
/** An open stream ends this soon after its key is revoked (an API process refuses it within 5 s too). */
const KEY_CHECK_MS = 5_000;
const EVENTS_EXAMPLE = 'retry: 3000\n\nevent: hello\ndata: {"sources":["poll"]}\n\nevent: changed\ndata: {"lastEventId":9876}\n\n';

const sseEvent = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export interface DashboardRouteOptions {
  /** How often the live feed looks for new order events (tests shorten it). */
  pollMs?: number;
}

export const dashboardRoutes: FastifyPluginAsyncZod<{ ctx: AppContext } & DashboardRouteOptions> = async (app, { ctx, pollMs }) => {
  const hub = new LiveHub({ db: ctx.db, logger: ctx.logger, redisUrl: ctx.config.redisUrl }, pollMs);
  /** Open streams and the key each was opened with. */
  const streams = new Map<ServerResponse, string>();
  // The token only opens a stream: a key revoked while it is open must close it too. One query
  // looks at every open stream's key; a failed one (the database briefly away) keeps them all.
  const keyCheck = setInterval(() => {
    if (streams.size === 0) return;
    void activeKeyIds(ctx.db, [...new Set(streams.values())]).then(
      (active) => {
        for (const [res, keyId] of streams) {
          if (active.has(keyId) || res.writableEnded) continue;
          res.write(sseEvent('revoked', { message: 'The API key behind this stream was revoked.' }));
          res.end();
        }
      },
      () => undefined,
    );
  }, KEY_CHECK_MS).unref();
  // Open streams never finish by themselves: end them first, or closing the server waits forever.
  app.addHook('preClose', async () => {
    clearInterval(keyCheck);
    for (const res of streams.keys()) res.end();
    streams.clear();
  });
  app.addHook('onClose', async () => hub.close());

  app.get(
    '/dashboard/summary',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'Orders per status for the overview, and the id of the newest order event',
        response: {
          200: z.object({
            total: z.number().int(),
            statuses: z.array(z.object({ status: z.enum(ORDER_STATUSES), count: z.number().int() })),
            lastEventId: z.number().int(),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (req) => {
      const tenantId = tenantOf(req);
      const [counts, last] = await Promise.all([countOrdersByStatus(ctx.db, tenantId), lastEventId(ctx.db, tenantId)]);
      const statuses = ORDER_STATUSES.map((status) => ({ status, count: counts.get(status) ?? 0 }));
      return { total: statuses.reduce((sum, s) => sum + s.count, 0), statuses, lastEventId: last };
    },
  );

  app.get(
    '/dashboard/orders/search',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'Orders whose code starts with the given text (exact code first); GET /orders filters by customer',
        querystring: z.object({ code: z.string().trim().min(1).max(100), limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: z.object({ items: z.array(orderDto) }), ...errorResponses(400, 401) },
      },
    },
    async (req) => ({ items: (await searchOrdersByCode(ctx.db, tenantOf(req), req.query.code, req.query.limit)).map(toOrderDto) }),
  );

  app.post(
    '/dashboard/stream-token',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'A 60-second token that opens GET /dashboard/events (EventSource cannot send an Authorization header)',
        response: { 200: z.object({ token: z.string(), expiresAt: z.string(), url: z.string() }), ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      const { token, expiresAt } = mintStreamToken(ctx.config.secret, { tenantId: tenantOf(req), keyId: req.auth!.keyId });
      return { token, expiresAt: new Date(expiresAt * 1000).toISOString(), url: `/dashboard/events?token=${encodeURIComponent(token)}` };
    },
  );

  app.get(
    '/dashboard/events',
    {
      // Authenticated by the stream token in the query, checked below, not by the key header.
      config: { role: false, rateLimit: false },
      schema: {
        tags: ['dashboard'],
        summary: 'Server-sent events: `changed` when the tenant has new order events, `kpi` when live KPIs were updated (Redis); `revoked`, then the end, within 5 s of its key being revoked',
        querystring: z.object({ token: z.string().min(1).max(2000).describe('from POST /dashboard/stream-token') }),
        response: {
          200: {
            description: 'An endless event stream; a heartbeat comment every 15 s',
            content: { 'text/event-stream': { schema: z.string().meta({ examples: [EVENTS_EXAMPLE] }) } },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (req, reply) => {
      const grant = verifyStreamToken(ctx.config.secret, req.query.token);
      if ('refused' in grant) throw new DomainError('UNAUTHORIZED', `This stream token is ${grant.refused}; get a new one from POST /dashboard/stream-token.`);
      if (!(await keyIsActive(ctx.db, grant.tenantId, grant.keyId))) throw new DomainError('UNAUTHORIZED', 'The API key behind this stream token was revoked.');

      const res = reply.raw;
      const send = (event: string, data: unknown) => res.write(sseEvent(event, data));
      const unsubscribe = await hub.subscribe(grant.tenantId, send);
      // The first stream of a tenant waits for a query and a Redis SUBSCRIBE: a client that left
      // meanwhile has already closed, and a 'close' handler attached now would never run.
      if (res.destroyed || req.raw.destroyed) {
        unsubscribe();
        return reply.hijack();
      }
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // proxies must pass each event on at once
      });
      res.write('retry: 3000\n\n');
      send('hello', { sources: ctx.config.redisUrl ? ['poll', 'redis'] : ['poll'] });
      streams.set(res, grant.keyId);
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS).unref();
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(res);
      });
    },
  );
};
