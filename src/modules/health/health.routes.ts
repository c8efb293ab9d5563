import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { bearerToken } from '../../http/auth.js';
import { errorBody } from '../../http/schemas.js';
import type { AppModule } from '../module.js';
import { CHECK_TIMEOUT_MS, readiness } from './health.checks.js';

const check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const checks = z.object({ database: check, queue: check, redis: check.optional() });
const ready = z.object({ status: z.enum(['ready', 'degraded']), checks }).meta({
  description: 'The database and queue answer. Status degraded: Redis (optional) does not, and the reads that use it come from PostgreSQL meanwhile',
  examples: [
    { status: 'ready', checks: { database: { ok: true, latencyMs: 1 }, queue: { ok: true, latencyMs: 2 }, redis: { ok: true, latencyMs: 1 } } },
    { status: 'degraded', checks: { database: { ok: true, latencyMs: 1 }, queue: { ok: true, latencyMs: 2 }, redis: { ok: false, latencyMs: 0, error: 'connect ECONNREFUSED 10.0.0.7:6379 (reconnecting)' } } },
  ],
});
const unavailable = z.object({ status: z.literal('unavailable'), checks }).meta({
  description: `The database or the queue does not answer within ${CHECK_TIMEOUT_MS / 1000} s: the checks say which, and why`,
  examples: [{ status: 'unavailable', checks: { database: { ok: true, latencyMs: 1 }, queue: { ok: false, latencyMs: 5003, error: `no answer within ${CHECK_TIMEOUT_MS} ms` } } }],
});
const METRICS_EXAMPLE = '# HELP http_request_duration_seconds HTTP request duration\n# TYPE http_request_duration_seconds histogram\nhttp_request_duration_seconds_count{method="GET",route="/orders",status="200"} 42\n';

const routes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/health/live', { config: { role: false, rateLimit: false }, schema: { tags: ['health'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('live') }) } } }, async () => ({
    status: 'live' as const,
  }));

  app.get(
    '/health/ready',
    { config: { role: false, rateLimit: false }, schema: { tags: ['health'], summary: 'Database and queue answer (Redis, when configured, only degrades)', response: { 200: ready, 503: unavailable } } },
    async (_req, reply) => {
      const report = await readiness(ctx);
      return reply.code(report.status === 'unavailable' ? 503 : 200).send(report);
    },
  );

  app.get(
    '/metrics',
    {
      config: { role: false, rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics, in the text exposition format',
        security: [{}, { metricsToken: [] }],
        response: {
          200: { description: 'Every metric of this process', content: { 'text/plain': { schema: z.string().meta({ examples: [METRICS_EXAMPLE] }) } } },
          401: errorBody.meta({
            description: 'METRICS_TOKEN is set and was not sent',
            examples: [{ error: { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <METRICS_TOKEN> to read metrics.' } }],
          }),
        },
      },
    },
    async (req, reply) => {
      const token = ctx.config.metricsToken;
      if (token && !sameSecret(bearerToken(req.headers.authorization), token)) {
        return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <METRICS_TOKEN> to read metrics.' } });
      }
      return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    },
  );
};

/** Compared as digests, so neither the time taken nor a length mismatch tells how much was right. */
function sameSecret(given: string | undefined, secret: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(secret));
}

export const healthModule: AppModule = { name: 'health', routes };
