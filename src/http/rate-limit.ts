import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/**
 * Per API key (per IP for unauthenticated routes), counted in Redis when configured so that
 * every API process shares one budget; in memory otherwise. If Redis fails, requests are let
 * through rather than refused: rate limiting protects the service, it must not take it down.
 */
export async function registerRateLimit(app: FastifyInstance, ctx: AppContext): Promise<void> {
  if (ctx.config.rateLimitPerMinute === 0) return;
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler', // after authentication, so the key is known
    max: ctx.config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => (req.auth ? `key:${req.auth.keyId}` : `ip:${req.ip}`),
    ...(ctx.redis && { redis: ctx.redis, nameSpace: 'ordersys:ratelimit:', skipOnError: true }),
    errorResponseBuilder: (_req, context) => ({
      statusCode: 429,
      error: {
        code: 'RATE_LIMITED',
        message: `Rate limit of ${context.max} requests per minute reached for this API key; retry after ${Math.ceil(context.ttl / 1000)} s.`,
      },
    }),
  });
}
