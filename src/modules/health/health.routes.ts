import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { bearerToken } from '../../http/auth.js';
import { errorBody } from '../../http/schemas.js';
import { pingRedis } from '../../platform/redis.js';
import type { AppModule } from '../module.js';

const check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ database: check, queue: check, redis: check.optional() }),
});
const ready = readiness.meta({ description: 'Every dependency answers', examples: [{ status: 'ready', checks: { database: { ok: true, latencyMs: 1 }, queue: { ok: true, latencyMs: 2 } } }] });
const unavailable = readiness.meta({
  description: 'A dependency does not answer: the checks say which, and why',
  examples: [{ status: 'unavailable', checks: { database: { ok: false, latencyMs: 5003, error: 'connection refused' }, queue: { ok: false, latencyMs: 5001, error: 'connection refused' } } }],
});
const METRICS_EXAMPLE = '# HELP http_request_duration_seconds HTTP request duration\n# TYPE http_request_duration_seconds histogram\nhttp_request_duration_seconds_count{method="GET",route="/orders",status="200"} 42\n';

async function timed(fn: () => Promise<boolean>): Promise<z.infer<typeof check>> {
  const start = performance.now();
  try {
    const ok = await fn();
    return { ok, latencyMs: Math.round(performance.now() - start), ...(!ok && { error: 'no answer' }) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - start), error: (err as Error).message };
  }
}

const routes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/health/live', { config: { role: false, rateLimit: false }, schema: { tags: ['health'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('live') }) } } }, async () => ({
    status: 'live' as const,
  }));

  app.get(
    '/health/ready',
    { config: { role: false, rateLimit: false }, schema: { tags: ['health'], summary: 'Database, queue and (when configured) Redis answer', response: { 200: ready, 503: unavailable } } },
    async (_req, reply) => {
      const [database, queue, redis] = await Promise.all([
        timed(async () => (await ctx.db.query('SELECT 1 AS ok')).rows.length === 1),
        timed(async () => (await ctx.db.query(`SELECT count(*) AS n FROM pgboss.queue`)).rows.length === 1),
        ctx.redis ? timed(() => pingRedis(ctx.redis!)) : Promise.resolve(undefined),
      ]);
      const ok = database.ok && queue.ok && (redis?.ok ?? true);
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ready' : 'unavailable', checks: { database, queue, ...(redis && { redis }) } });
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
