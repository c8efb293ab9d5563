import type { Database } from '../../platform/db/types.js';
import type { Logger } from '../../platform/logger.js';

/*
 * pg-boss keeps no index by tenant, and a job's tenant lives inside its payload (data.tenantId),
 * next to arrays of hundreds of order ids: counting one tenant's jobs read every row of
 * pgboss.job, 12 hours of completed jobs, and decompressed every payload to find its tenant.
 * This index lets the monitor seek one tenant's live jobs and its recently completed ones.
 *
 * It is only an index on pg-boss's table: pg-boss's rows and its SQL are untouched (its archive
 * copies named columns, its fetch uses its own indexes), and the partition pg-boss makes for a new
 * queue gets it when pg-boss attaches that partition. It cannot be a migration: on a new database
 * the migrations run before pg-boss creates its schema. The price: one more index entry per job
 * insert and state change, which reads the payload's tenant (about 30 us more per completed job
 * with 300-id payloads); and building it holds off job writes meanwhile, once (7-12 s for 600k
 * such jobs). A DBA can build it ahead without that, partition by partition (CREATE INDEX ... ON
 * ONLY pgboss.job, CREATE INDEX CONCURRENTLY on each partition, ALTER INDEX ... ATTACH PARTITION).
 */

/** A job's tenant as ordersys_job_tenant has it: '' for the jobs of no tenant (cron, sweeps), and for a tenantId of ''. */
export const jobTenantSql = `coalesce(j.data->>'tenantId', '')`;

const INDEX = 'ordersys_job_tenant';
// Any constant: only has to be the same in every ordersys process.
const BUILD_LOCK = 727_274_023;

export async function ensureJobTenantIndex(db: Database, logger: Logger): Promise<void> {
  const { rows } = await db.query<{ found: boolean }>(`SELECT to_regclass('pgboss.${INDEX}') IS NOT NULL AS found`);
  if (rows[0]?.found) return;
  try {
    // Processes starting together: the first builds it, the others wait, then find it.
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [BUILD_LOCK]);
      await tx.exec(`CREATE INDEX IF NOT EXISTS ${INDEX} ON pgboss.job ((coalesce(data->>'tenantId', '')), state, completed_on)`);
    });
    logger.info({ index: `pgboss.${INDEX}` }, 'indexed pg-boss jobs by tenant for the queue monitor');
  } catch (err) {
    // The monitor answers without it, only slower: not a reason to refuse to start.
    logger.warn({ err, index: `pgboss.${INDEX}` }, 'could not index pg-boss jobs by tenant; the queue monitor will scan every job');
  }
}
