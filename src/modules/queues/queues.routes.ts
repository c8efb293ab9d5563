import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { roleAllows } from '../auth/api-key.js';
import { errorResponses } from '../../http/schemas.js';
import { conflict, notFound } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/db/keyset-cursor.js';
import { findTenantBySlug } from '../tenants/tenant.repository.js';
import { COMPLETED_WINDOW_MINUTES, failedJobs, queueStats, visibleJobState, type JobOwner, type QueueStats } from './queue-monitor.repository.js';
import { SharedReads } from './shared-reads.js';

const iso = z.string().describe('ISO 8601 timestamp');
const queueName = z.string().regex(/^[\w.-]{1,100}$/, 'must be a queue name (letters, digits, _ . -)');
const jobParams = z.object({ name: queueName, id: z.uuid({ error: 'must be a job id (uuid)' }) });

const queueDto = z.object({
  name: z.string(),
  policy: z.string().nullable(),
  waiting: z.number().int().describe('created + retry'),
  deferred: z.number().int().describe('waiting jobs not due yet (backoff, start later)'),
  active: z.number().int(),
  completed: z.number().int().describe(`jobs completed in the last ${COMPLETED_WINDOW_MINUTES} minutes`),
  failed: z.number().int().describe('still in pgboss.job (archived after 12 h by default)'),
  cancelled: z.number().int(),
  perMinute: z.number().int().describe('jobs completed in the last 60 s'),
  oldestWaitSeconds: z.number().nullable().describe('wait of the oldest due job; null when none waits'),
  alert: z.boolean().describe('oldestWaitSeconds above QUEUE_WAIT_ALERT_SECONDS'),
});

const failedJobDto = z.object({
  id: z.uuid(),
  name: z.string(),
  data: z.unknown(),
  error: z.string().describe('the error message the handler threw'),
  output: z.unknown().describe('everything pg-boss stored about the failure (message, stack)'),
  retryCount: z.number().int(),
  retryLimit: z.number().int(),
  createdOn: iso,
  startedOn: iso.nullable(),
  completedOn: iso.describe('when it failed for the last time'),
});

/** The deployment's own tenant (ORDERSYS_DEFAULT_TENANT, created at start), looked up once found. */
function deploymentTenant(ctx: AppContext): () => Promise<string | undefined> {
  let id: string | undefined;
  return async () => (id ??= (await findTenantBySlug(ctx.db, ctx.config.defaultTenant))?.id);
}

/** pg-boss stores a thrown error as { message, stack, ... }; other outputs are shown as JSON. */
function errorText(output: unknown): string {
  if (output && typeof output === 'object') {
    const o = output as { message?: unknown; value?: { message?: unknown } };
    if (typeof o.message === 'string') return o.message;
    if (typeof o.value?.message === 'string') return o.value.message;
  }
  return output === null || output === undefined ? '(no output)' : JSON.stringify(output);
}

/** How long one owner's counts are shared by the requests that ask for them (the dashboard polls every 2 s). */
const STATS_TTL_MS = 2000;

/** Queue monitor (the Horizon view): counts, throughput and wait per pg-boss queue; failed jobs, retry, discard. */
export const queueRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const ownTenant = deploymentTenant(ctx);
  const stats = new SharedReads<QueueStats[]>(STATS_TTL_MS);
  const ownerOf = async (req: FastifyRequest): Promise<JobOwner> => {
    const tenantId = tenantOf(req);
    return { tenantId, platform: req.auth?.role === 'admin' && tenantId === (await ownTenant()) };
  };
  const queueExists = async (name: string) => {
    const { rows } = await ctx.db.query(`SELECT 1 FROM pgboss.queue WHERE name = $1`, [name]);
    if (rows.length === 0) throw notFound('Queue', name);
  };

  app.get(
    '/queues',
    {
      schema: {
        tags: ['queues'],
        summary: "Every job queue, counting the caller's tenant's jobs: waiting, active, recently completed and failed, jobs per minute, wait of the oldest job",
        description:
          "Admins of the deployment's own tenant (ORDERSYS_DEFAULT_TENANT) also count the jobs of no tenant (cron, sweeps). " +
          `Counts may be up to ${STATS_TTL_MS / 1000} s old: requests for the same tenant share one count.`,
        response: { 200: z.object({ alertWaitSeconds: z.number().int(), queues: z.array(queueDto) }), ...errorResponses(401) },
      },
    },
    async (req) => {
      const threshold = ctx.config.queueWaitAlertSeconds;
      const owner = await ownerOf(req);
      const counted = await stats.get(`${owner.tenantId} ${owner.platform}`, () => queueStats(ctx.db, owner));
      const queues = counted.map((q) => ({ ...q, alert: (q.oldestWaitSeconds ?? 0) > threshold }));
      return { alertWaitSeconds: threshold, queues };
    },
  );

  app.get(
    '/queues/:name/failed',
    {
      schema: {
        tags: ['queues'],
        summary: "Failed jobs of a queue that belong to the caller's tenant, newest first, with their error",
        description: "Jobs of no tenant (cron, sweeps) are shown, retried and discarded only by admins of the deployment's own tenant (ORDERSYS_DEFAULT_TENANT).",
        params: z.object({ name: queueName }),
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20), cursor: z.string().max(500).optional() }),
        response: {
          200: z.object({
            items: z.array(failedJobDto),
            total: z.number().int(),
            nextCursor: z.string().nullable(),
            canAct: z.boolean().describe('whether the caller may retry and discard these jobs (operator or admin)'),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (req) => {
      await queueExists(req.params.name);
      const { limit, cursor } = req.query;
      const page = await failedJobs(ctx.db, req.params.name, await ownerOf(req), { limit: limit + 1, after: cursor ? decodeCursor(cursor) : undefined });
      const items = page.items.slice(0, limit);
      const last = items[items.length - 1];
      return {
        total: page.total,
        canAct: roleAllows(req.auth!.role, 'operator'),
        nextCursor: page.items.length > limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null,
        items: items.map(({ cursorAt: _, ...j }) => ({
          ...j,
          error: errorText(j.output),
          createdOn: j.createdOn.toISOString(),
          startedOn: j.startedOn?.toISOString() ?? null,
          completedOn: j.completedOn.toISOString(),
        })),
      };
    },
  );

  const onFailedJob = (action: 'retry' | 'discard', summary: string) =>
    app.post(
      `/queues/:name/jobs/:id/${action}`,
      {
        config: { role: 'operator' },
        schema: {
          tags: ['queues'],
          summary,
          params: jobParams,
          response: { 200: z.object({ id: z.uuid(), name: z.string(), state: z.enum(['retry', 'discarded']) }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => {
        const { name, id } = req.params;
        const state = await visibleJobState(ctx.db, name, id, await ownerOf(req));
        if (!state) throw notFound(`Job of queue ${name}`, id);
        if (state !== 'failed') throw conflict(`Job ${id} is ${state}, not failed: only failed jobs can be retried or discarded.`, { state });
        // pg-boss's own commands: retry puts it back as 'retry' with one more attempt; discard deletes it.
        if (action === 'retry') await ctx.queue.boss.retry(name, id);
        else await ctx.queue.boss.deleteJob(name, id);
        stats.clear(); // the caller's next look at the counts shows the job moved
        return { id, name, state: action === 'retry' ? ('retry' as const) : ('discarded' as const) };
      },
    );
  onFailedJob('retry', 'Run a failed job again (one more attempt)');
  onFailedJob('discard', 'Delete a failed job for good');
};
