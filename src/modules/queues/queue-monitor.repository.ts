import { cursorInstantSql, type KeysetPosition } from '../../platform/db/keyset-cursor.js';
import type { Executor } from '../../platform/db/types.js';
import { jobTenantSql } from './job-tenant-index.js';

/*
 * Reads pg-boss's own tables (schema pgboss, see node_modules/pg-boss/src/plans.js). Queue names
 * are global, not per tenant; a job's counts, payload and error are shown only to the tenant
 * named in its data.tenantId. Jobs without one (cron, sweeps) are the deployment's: their
 * payloads and errors may name any tenant's rows, so only admins of the deployment's own tenant
 * (ORDERSYS_DEFAULT_TENANT) see and act on them.
 * Only pgboss.job is read: completed and failed jobs stay there until pg-boss archives them
 * (12 hours by default). Failed ones are counted over that whole window; completed ones, which
 * are most of the table, over the last COMPLETED_WINDOW_MINUTES only: a poll's cost follows the
 * jobs it counts, and twelve hours of them cost seconds.
 */

/** How far back `completed` counts. */
export const COMPLETED_WINDOW_MINUTES = 15;

export interface QueueStats {
  name: string;
  policy: string | null;
  /** created + retry, whether due or deferred to later. */
  waiting: number;
  /** Waiting jobs whose start time is still in the future (retry backoff, startAfter). */
  deferred: number;
  active: number;
  /** Jobs completed in the last COMPLETED_WINDOW_MINUTES. */
  completed: number;
  failed: number;
  cancelled: number;
  /** Jobs completed in the last 60 seconds. */
  perMinute: number;
  /** How long the longest-waiting due job has been waiting; null when none is due. */
  oldestWaitSeconds: number | null;
}

export interface JobOwner {
  tenantId: string;
  /** An admin of the deployment's own tenant: also sees the jobs that belong to no tenant (cron, sweeps). */
  platform: boolean;
}

/** The tenants whose jobs the owner sees, as jobTenantSql has them ('' for the jobs of no tenant). */
const tenantKeys = (owner: JobOwner): string[] => (owner.platform ? [owner.tenantId, ''] : [owner.tenantId]);

/** The visibility rule, as SQL over pgboss.job aliased j; `$n` is tenantKeys(owner). */
const visibleTo = (n: number) => `${jobTenantSql} = ANY($${n}::text[])`;

/** Every queue, with the counts of the jobs the owner may see (tenantKeys): one tenant's volume is not another's business. */
export async function queueStats(ex: Executor, owner: JobOwner): Promise<QueueStats[]> {
  const keys = tenantKeys(owner);
  // Found through ordersys_job_tenant. The states are listed, not `state <> 'completed'`: a list is
  // an index condition, so the scan seeks the live and failed jobs and the recently completed ones
  // and never walks the completed history behind them. One branch per tenant, each an
  // equality: with `= ANY(two tenants)` PostgreSQL rechecks every fetched row's tenant,
  // decompressing its payload again (3.6x the pages for an admin of the deployment's tenant).
  const visible = keys
    .map(
      (_, i) => `SELECT j.name, j.state, j.start_after, j.completed_on FROM pgboss.job j
         WHERE ${jobTenantSql} = $${i + 1}
           AND (j.state IN ('created', 'retry', 'active', 'failed', 'cancelled')
                OR (j.state = 'completed' AND j.completed_on > now() - interval '${COMPLETED_WINDOW_MINUTES} minutes'))`,
    )
    .join('\n       UNION ALL ');
  const { rows } = await ex.query<QueueStats>(
    `SELECT q.name, q.policy,
       coalesce(s.waiting, 0) AS waiting, coalesce(s.deferred, 0) AS deferred, coalesce(s.active, 0) AS active,
       coalesce(s.completed, 0) AS completed, coalesce(s.failed, 0) AS failed, coalesce(s.cancelled, 0) AS cancelled,
       coalesce(s."perMinute", 0) AS "perMinute", s."oldestWaitSeconds"
     FROM pgboss.queue q LEFT JOIN (
       SELECT j.name,
         count(*) FILTER (WHERE j.state IN ('created', 'retry'))::int AS waiting,
         count(*) FILTER (WHERE j.state IN ('created', 'retry') AND j.start_after > now())::int AS deferred,
         count(*) FILTER (WHERE j.state = 'active')::int AS active,
         count(*) FILTER (WHERE j.state = 'completed')::int AS completed,
         count(*) FILTER (WHERE j.state = 'failed')::int AS failed,
         count(*) FILTER (WHERE j.state = 'cancelled')::int AS cancelled,
         count(*) FILTER (WHERE j.state = 'completed' AND j.completed_on > now() - interval '1 minute')::int AS "perMinute",
         extract(epoch FROM now() - min(j.start_after) FILTER (WHERE j.state IN ('created', 'retry') AND j.start_after <= now()))::float8
           AS "oldestWaitSeconds"
       FROM (${visible}) j
       GROUP BY j.name
     ) s ON s.name = q.name
     ORDER BY q.name`,
    keys,
  );
  return rows;
}

export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  output: unknown;
  retryCount: number;
  retryLimit: number;
  createdOn: Date;
  startedOn: Date | null;
  completedOn: Date;
  /** completedOn at the database's precision, for the paging cursor. */
  cursorAt: string;
}

/** Newest failure first; the cursor is the last row's (cursorAt, id). */
export async function failedJobs(
  ex: Executor,
  name: string,
  owner: JobOwner,
  page: { limit: number; after?: KeysetPosition },
): Promise<{ items: FailedJob[]; total: number }> {
  const params: unknown[] = [name, tenantKeys(owner)];
  let keyset = '';
  if (page.after) {
    params.push(page.after.at, page.after.id);
    keyset = `AND (j.completed_on, j.id) < ($3::timestamptz, $4::uuid)`;
  }
  params.push(page.limit);
  const [items, total] = await Promise.all([
    ex.query<FailedJob>(
      `SELECT j.id, j.name, j.data, j.output, j.retry_count AS "retryCount", j.retry_limit AS "retryLimit",
         j.created_on AS "createdOn", j.started_on AS "startedOn", j.completed_on AS "completedOn",
         ${cursorInstantSql('j.completed_on')} AS "cursorAt"
       FROM pgboss.job j
       WHERE j.name = $1 AND j.state = 'failed' AND ${visibleTo(2)} ${keyset}
       ORDER BY j.completed_on DESC, j.id DESC LIMIT $${params.length}`,
      params,
    ),
    ex.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job j WHERE j.name = $1 AND j.state = 'failed' AND ${visibleTo(2)}`,
      [name, tenantKeys(owner)],
    ),
  ]);
  return { items: items.rows, total: total.rows[0]?.n ?? 0 };
}

/** The job's state if the owner may see it; undefined when it does not exist for them. */
export async function visibleJobState(ex: Executor, name: string, id: string, owner: JobOwner): Promise<string | undefined> {
  const { rows } = await ex.query<{ state: string }>(
    `SELECT j.state::text AS state FROM pgboss.job j WHERE j.name = $1 AND j.id = $2::uuid AND ${visibleTo(3)}`,
    [name, id, tenantKeys(owner)],
  );
  return rows[0]?.state;
}
