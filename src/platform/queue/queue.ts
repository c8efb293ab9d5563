import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { CONNECTION_TIMEOUT_MS } from '../db/postgres.js';
import type { Database, Executor } from '../db/types.js';
import { bossDbFor, bossDbForPglite } from './pglite-adapter.js';
import { queueDefinitions, type JobName, type JobRegistry, type QueueDefinition } from './registry.js';

export interface QueueOptions {
  /** Run maintenance (expiry, retention) and cron schedules in this process. */
  supervise: boolean;
  schema?: string;
  /** Where work() counts the jobs its handlers finish, by queue and outcome. */
  outcomes?: JobOutcomeCounter;
}

export interface Job<N extends JobName> {
  id: string;
  name: N;
  data: JobRegistry[N];
}

/*
 * pg-boss 10's worker loop records a job's outcome without awaiting it (src/manager.js, watch():
 * `this.complete(...)` / `this.fail(...)`). With the database away at that moment (a restart, a
 * failover) the rejection is unhandled and Node ends the worker process. Giving those promises a
 * handler keeps the process alive; callers that await complete() or fail() still get the error.
 * An outcome that was not recorded leaves the job active: it expires and is retried, which every
 * job here is built to survive.
 */
function keepWorkersAliveWhenOutcomesFail(): void {
  const Manager = createRequire(import.meta.url)('pg-boss/src/manager.js') as { prototype: Record<string, (...args: unknown[]) => Promise<unknown>> };
  for (const method of ['complete', 'fail']) {
    const original = Manager.prototype[method]!;
    Manager.prototype[method] = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      result.catch(() => {});
      return result;
    };
    // PgBoss exposes the manager's functions by their .name (boss.fail, boss.complete): keep it.
    Object.defineProperty(Manager.prototype[method], 'name', { value: method });
  }
}
keepWorkersAliveWhenOutcomesFail();

/*
 * How often a supervising process fails jobs that outlived their expiry (a worker SIGKILLed or
 * cut off mid-job leaves them 'active'), so they are retried. pg-boss's default is 120 s, which
 * added up to two minutes to every recovery; the pass is a few indexed statements, and across
 * processes pg-boss runs it once per interval, not once per process.
 */
export const MAINTENANCE_INTERVAL_SECONDS = 15;

export interface SendOptions {
  startAfterSeconds?: number;
  singletonKey?: string;
  retryLimit?: number;
}

export interface WorkOptions {
  batchSize?: number;
  pollingIntervalSeconds?: number;
}

/** Where work() counts the jobs its handlers finish (a prom-client Counter fits). */
export interface JobOutcomeCounter {
  inc(labels: { queue: string; outcome: 'completed' | 'failed' }, value: number): void;
}

/**
 * pg-boss behind our own types. Jobs are inserted with the caller's executor: enqueued inside a
 * transaction, a job exists if and only if that transaction commits.
 */
export class JobQueue {
  private workers: string[] = [];

  private constructor(
    readonly boss: PgBoss,
    private readonly logger: Logger,
    private readonly schema: string,
    private readonly outcomes: JobOutcomeCounter | undefined,
  ) {}

  static async start(db: Database, connection: { url?: string; connectionTimeoutMs?: number }, logger: Logger, options: QueueOptions): Promise<JobQueue> {
    const common = {
      schema: options.schema ?? 'pgboss',
      supervise: options.supervise,
      schedule: options.supervise,
      maintenanceIntervalSeconds: MAINTENANCE_INTERVAL_SECONDS,
      migrate: true,
    };
    // pg-boss hands its options to pg.Pool whole (src/db.js) but does not declare the timeout; it
    // bounds getting a connection as our own pool's does (CONNECTION_TIMEOUT_MS): without it the
    // worker's fetch loop waits forever on a server that does not answer.
    const ownPool: PgBoss.ConstructorOptions & { connectionTimeoutMillis: number } = {
      ...common,
      connectionString: connection.url,
      max: 4,
      application_name: 'ordersys-queue',
      connectionTimeoutMillis: connection.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
    };
    const boss = db.kind === 'postgres' && connection.url ? new PgBoss(ownPool) : new PgBoss({ ...common, db: bossDbForPglite(db) as PgBoss.Db });
    boss.on('error', (err: Error) => logger.error({ err }, 'job queue error'));
    await boss.start();
    const queue = new JobQueue(boss, logger, common.schema, options.outcomes);
    await queue.ensureQueues();
    return queue;
  }

  /**
   * Creates missing queues and brings existing ones to their definition's retry and expiry, so
   * a database created by an older version gets today's expiries. The policy is never changed:
   * pg-boss enforces it with per-queue indexes.
   */
  private async ensureQueues(): Promise<void> {
    const existing = new Map((await this.boss.getQueues()).map((q) => [q.name, q]));
    for (const def of queueDefinitions()) {
      const queue = existing.get(def.name);
      if (queue) {
        if (!differs(queue, def)) continue;
        await this.boss.updateQueue(def.name, { ...def, policy: queue.policy });
        continue;
      }
      try {
        await this.boss.createQueue(def.name, def);
      } catch (err) {
        // Another process created it between our read and our insert.
        if ((err as { code?: string }).code !== '23505') throw err;
      }
    }
  }

  async send<N extends JobName>(tx: Executor, name: N, data: JobRegistry[N], opts: SendOptions = {}): Promise<void> {
    await this.sendMany(tx, name, [data], opts);
  }

  /** One INSERT for many jobs: batch producers call this, not send() in a loop. */
  async sendMany<N extends JobName>(tx: Executor, name: N, items: JobRegistry[N][], opts: SendOptions = {}): Promise<void> {
    if (items.length === 0) return;
    const startAfter = opts.startAfterSeconds ? new Date(Date.now() + opts.startAfterSeconds * 1000) : undefined;
    const jobs = items.map((data) => ({
      name,
      data: data as object,
      ...(startAfter && { startAfter }),
      ...(opts.singletonKey && { singletonKey: opts.singletonKey }),
      ...(opts.retryLimit !== undefined && { retryLimit: opts.retryLimit }),
    }));
    await this.boss.insert(jobs, { db: bossDbFor(tx) as PgBoss.Db });
  }

  /**
   * Jobs as an INSERT to run inside a statement of the caller's (a data-modifying CTE): one job
   * per row of `payloadQuery`, a SELECT over that statement's rows whose one column is the job's
   * data. The jobs are written with the rows they name, in the same round trip. It writes what sendMany() writes for
   * a job without options (pg-boss 10, src/plans.js insertJobs, no config defaults): the queue's
   * expiry, retention, retries and policy. queue.int.test.ts holds the two side by side.
   */
  insertJobSql(name: JobName, payloadQuery: string): string {
    if (!/^[a-z_]+$/.test(name)) throw new Error(`job name ${name} cannot be inlined`);
    const s = this.schema;
    return `INSERT INTO ${s}.job (id, name, data, priority, start_after, singleton_key, singleton_on, dead_letter,
         expire_in, keep_until, retry_limit, retry_delay, retry_backoff, policy)
       SELECT gen_random_uuid(), q.name, j.data, 0, now(), NULL, NULL, q.dead_letter,
         coalesce(q.expire_seconds * interval '1s', interval '15 minutes'),
         now() + CAST(coalesce((q.retention_minutes * 60)::text, '14 days') AS interval),
         coalesce(q.retry_limit, 2),
         CASE WHEN coalesce(q.retry_backoff, false) THEN greatest(q.retry_delay, 1) ELSE coalesce(q.retry_delay, 0) END,
         coalesce(q.retry_backoff, false), q.policy
       FROM (${payloadQuery}) AS j(data) JOIN ${s}.queue q ON q.name = '${name}'
       ON CONFLICT DO NOTHING`;
  }

  async work<N extends JobName>(name: N, options: WorkOptions, handler: (jobs: Job<N>[]) => Promise<void>): Promise<void> {
    const batchSize = options.batchSize ?? 1;
    // Set once work() resolves; the first fetch's handler runs after that (a database round trip).
    const self = { id: '' };
    self.id = await this.boss.work<JobRegistry[N]>(
      name,
      { batchSize, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5 },
      async (jobs) => {
        // pg-boss records one outcome for the whole batch (complete or fail every job of it),
        // so each job of the batch is counted with it.
        try {
          await handler(jobs as unknown as Job<N>[]);
        } catch (err) {
          this.outcomes?.inc({ queue: name, outcome: 'failed' }, jobs.length);
          this.logger.warn({ err, queue: name, jobs: jobs.map((j) => j.id) }, 'job failed; pg-boss will retry it');
          throw err;
        }
        this.outcomes?.inc({ queue: name, outcome: 'completed' }, jobs.length);
        // pg-boss waits out the polling interval after every fetch, even a full one: a queue of
        // small jobs (the API's placement groups) would drain at batchSize jobs per interval.
        // A full fetch says more may be waiting, so the next fetch starts now.
        if (jobs.length >= batchSize && self.id) this.boss.notifyWorker(self.id);
      },
    );
    this.workers.push(self.id);
  }

  async schedule<N extends JobName>(name: N, cron: string, data: JobRegistry[N]): Promise<void> {
    await this.boss.schedule(name, cron, data as object);
  }

  /** Stop fetching; wait for in-flight jobs up to timeoutMs, then hand the rest back for retry. */
  async stop(timeoutMs: number): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: timeoutMs, close: true });
  }
}

const TUNED = ['retryLimit', 'retryDelay', 'retryBackoff', 'expireInSeconds'] as const;

function differs(queue: PgBoss.QueueResult, def: QueueDefinition): boolean {
  return TUNED.some((k) => def[k] !== undefined && queue[k] !== def[k]);
}
