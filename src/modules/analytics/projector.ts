import type { Redis } from 'ioredis';
import type { Counter, Registry } from 'prom-client';
import { counterIn } from '../../platform/metrics.js';
import type { Database } from '../../platform/db/types.js';
import type { Logger } from '../../platform/logger.js';
import { aggregate, type Delta } from './kpi.js';
import { rebuildTenantKpis } from './kpi.rebuild.js';
import { applyDelta, publishChange, readCheckpoints, readZones } from './kpi.store.js';
import { listTenantZones, positionText, readFacts, START, tenantsBehind, type Position, type TenantZone } from './ledger.repository.js';
import { safeHorizon } from '../../platform/db/horizon.js';

export interface ProjectorOptions {
  chunkSize?: number;
  /**
   * Runs after a chunk is read and summed, before it is applied. Tests throw here to kill the
   * projector mid-batch, or wait here to make two projectors race for the same chunk.
   */
  beforeApply?: (chunk: { tenantId: string; from: Position; to: Position; events: number }) => void | Promise<void>;
}

export interface ProjectorDeps {
  db: Database;
  redis: Redis;
  logger: Logger;
  metrics: { registry: Registry };
}

const PROJECTED = 'ordersys_analytics_events_projected_total';

/** An error PostgreSQL raised for one statement (SQLSTATE outside connection and shutdown classes 08, 57): the next tenant's may work. */
function isStatementError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57');
}

const projectedCounter = (registry: Registry): Counter => counterIn(registry, { name: PROJECTED, help: 'order events applied to the live KPIs in Redis' });

/*
 * Feeds Redis from committed order_events, exactly once. Each chunk is read strictly below the
 * safe horizon in (xid, id) order, summed in memory, and applied together with the new
 * checkpoint by one Lua script that first checks the checkpoint is still where the chunk
 * started. Hence:
 *  - crash before the script: nothing applied, the next run re-reads the chunk;
 *  - crash after it: checkpoint and figures moved together, the next run starts after the chunk;
 *  - two projectors on one chunk: the second finds the checkpoint moved and applies nothing.
 * No Postgres state at all: the projector never writes to the database it reads.
 */
export class Projector {
  private readonly projected: Counter;

  constructor(
    private readonly deps: ProjectorDeps,
    private readonly options: ProjectorOptions = {},
  ) {
    this.projected = projectedCounter(deps.metrics.registry);
  }

  /** Projects what every tenant has pending; returns the number of events applied. */
  async runOnce(): Promise<number> {
    const { db, redis } = this.deps;
    const horizon = await safeHorizon(db);
    const tenants = await listTenantZones(db);
    const ids = tenants.map((t) => t.id);
    const [checkpoints, zones] = await Promise.all([readCheckpoints(redis, ids), readZones(redis, ids)]);
    const behind = new Set(await tenantsBehind(db, checkpoints, horizon));
    let applied = 0;
    const failed: string[] = [];
    for (const tenant of tenants) {
      // Figures cut in a zone the tenant no longer has (PATCH /tenant), or before zones were
      // recorded: days of two zones cannot be added up, so they are recomputed from the ledger.
      const projected = positionText(checkpoints.get(tenant.id)!) !== positionText(START);
      const rezoned = projected && zones.get(tenant.id) !== tenant.timeZone;
      if (!rezoned && !behind.has(tenant.id)) continue;
      // One tenant that cannot be projected (its zone gone from the database's tzdata, say) must
      // not stop the live figures of the tenants after it: it is named, and the job fails after the rest.
      try {
        if (rezoned) await this.rebuild(tenant);
        else applied += await this.projectTenant(tenant, checkpoints.get(tenant.id)!, horizon);
      } catch (err) {
        if (!isStatementError(err)) throw err;
        this.deps.logger.error({ err, tenantId: tenant.id }, 'could not project a tenant; the others go on');
        failed.push(`${tenant.slug} (${(err as Error).message})`);
      }
    }
    if (failed.length > 0) throw new Error(`KPI projection failed for ${failed.length} tenant(s): ${failed.join('; ')}`);
    return applied;
  }

  /** Recomputes the tenant's figures in its zone as the database has it now (which may be newer than `tenant`'s). */
  private async rebuild(tenant: TenantZone): Promise<void> {
    const rebuilt = await rebuildTenantKpis(this.deps.db, this.deps.redis, tenant.id);
    this.deps.logger.info({ tenantId: tenant.id, zone: rebuilt?.zone, days: rebuilt?.days }, 'rebuilt live KPIs in the tenant\'s time zone');
    if (rebuilt) await publishChange(this.deps.redis, tenant.id, []).catch(() => undefined);
  }

  private async projectTenant(tenant: TenantZone, start: Position, horizon: string): Promise<number> {
    const { db, redis, logger } = this.deps;
    const chunkSize = this.options.chunkSize ?? 5000;
    let from = start;
    let applied = 0;
    for (;;) {
      const facts = await readFacts(db, tenant.id, tenant.timeZone, from, horizon, chunkSize);
      if (facts.length === 0) return applied;
      const last = facts[facts.length - 1]!;
      const to = { xid: last.xid, id: last.id };
      const delta: Delta = aggregate(facts);
      await this.options.beforeApply?.({ tenantId: tenant.id, from, to, events: facts.length });
      const outcome = await applyDelta(redis, tenant.id, from, to, delta, tenant.timeZone);
      if (outcome === 'rezoned') {
        // The zone changed since this run listed the tenants (or since the chunk's days were cut).
        await this.rebuild(tenant);
        return applied;
      }
      if (outcome === 'moved') {
        // Someone else (another worker, a rebuild) moved the checkpoint: their run carries on.
        logger.debug({ tenantId: tenant.id, from }, 'analytics checkpoint moved under us; leaving the chunk to its new owner');
        return applied;
      }
      applied += facts.length;
      this.projected.inc(facts.length);
      await publishChange(redis, tenant.id, [...delta.days.keys()]).catch((err: Error) =>
        logger.debug({ err: err.message }, 'could not publish a KPI change'),
      );
      from = to;
      if (facts.length < chunkSize) return applied;
    }
  }
}
