import { cursorInstantSql, type KeysetPosition } from '../../platform/db/keyset-cursor.js';
import type { Executor } from '../../platform/db/types.js';

/*
 * Reads pg-boss's own tables (schema pgboss, see node_modules/pg-boss/src/plans.js). Queue names
 * are global, not per tenant; a job's counts, payload and error are shown only to the tenant
 * named in its data.tenantId. Jobs without one (cron, sweeps) are the deployment's: their
 * payloads and errors may name any tenant's rows, so only admins of the deployment's own tenant
 * (ORDERSYS_DEFAULT_TENANT) see and act on them.
 * Only pgboss.job is read: completed and failed jobs stay there until pg-boss archives them
 * (12 hours by default), which is the window the monitor shows.
 */

export interface QueueStats {
  name: string;
  policy: string | null;
  /** created + retry, whether due or deferred to later. */
  waiting: number;
  /** Waiting jobs whose start time is still in the future (retry backoff, startAfter). */
  deferred: number;
  active: number;
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

/** The visibility rule, as SQL over pgboss.job aliased j; `$n` is the tenant id parameter. */
const visibleTo = (n: number, platform: boolean) =>
  platform ? `(j.data->>'tenantId' = $${n} OR j.data->>'tenantId' IS NULL)` : `j.data->>'tenantId' = $${n}`;

/** Every queue, with the counts of the jobs the owner may see (visibleTo): one tenant's volume is not another's business. */
export async function queueStats(ex: Executor, owner: JobOwner): Promise<QueueStats[]> {
  const { rows } = await ex.query<QueueStats>(
    `SELECT q.name, q.policy,
       count(j.id) FILTER (WHERE j.state IN ('created', 'retry'))::int AS waiting,
       count(j.id) FILTER (WHERE j.state IN ('created', 'retry') AND j.start_after > now())::int AS deferred,
       count(j.id) FILTER (WHERE j.state = 'active')::int AS active,
       count(j.id) FILTER (WHERE j.state = 'completed')::int AS completed,
       count(j.id) FILTER (WHERE j.state = 'failed')::int AS failed,
       count(j.id) FILTER (WHERE j.state = 'cancelled')::int AS cancelled,
       count(j.id) FILTER (WHERE j.state = 'completed' AND j.completed_on > now() - interval '1 minute')::int AS "perMinute",
       extract(epoch FROM now() - min(j.start_after) FILTER (WHERE j.state IN ('created', 'retry') AND j.start_after <= now()))::float8
         AS "oldestWaitSeconds"
     FROM pgboss.queue q LEFT JOIN pgboss.job j ON j.name = q.name AND ${visibleTo(1, owner.platform)}
     GROUP BY q.name, q.policy ORDER BY q.name`,
    [owner.tenantId],
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
  const params: unknown[] = [name, owner.tenantId];
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
       WHERE j.name = $1 AND j.state = 'failed' AND ${visibleTo(2, owner.platform)} ${keyset}
       ORDER BY j.completed_on DESC, j.id DESC LIMIT $${params.length}`,
      params,
    ),
    ex.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job j WHERE j.name = $1 AND j.state = 'failed' AND ${visibleTo(2, owner.platform)}`,
      [name, owner.tenantId],
    ),
  ]);
  return { items: items.rows, total: total.rows[0]?.n ?? 0 };
}

/** The job's state if the owner may see it; undefined when it does not exist for them. */
export async function visibleJobState(ex: Executor, name: string, id: string, owner: JobOwner): Promise<string | undefined> {
  const { rows } = await ex.query<{ state: string }>(
    `SELECT j.state::text AS state FROM pgboss.job j WHERE j.name = $1 AND j.id = $2::uuid AND ${visibleTo(3, owner.platform)}`,
    [name, id, owner.tenantId],
  );
  return rows[0]?.state;
}
