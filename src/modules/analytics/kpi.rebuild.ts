import type { Redis } from 'ioredis';
import { safeHorizon } from '../../platform/db/horizon.js';
import type { Database } from '../../platform/db/types.js';
import { aggregate } from './kpi.js';
import { replaceAll } from './kpi.store.js';
import { lastPositionBelow, ledgerCounters, ledgerCustomers, positionText, tenantZone } from './ledger.repository.js';

export interface Rebuilt {
  checkpoint: string;
  zone: string;
  days: number;
  customers: number;
}

/**
 * Recomputes the tenant's live KPIs from the ledger, in the tenant's zone as it is now, and swaps
 * them in with the matching checkpoint and zone in one script. The ledger is read up to the last
 * counted event below the safe horizon, a fixed set of committed events, so figures and
 * checkpoint describe the same events and the projector resumes right after them. A projector
 * racing it finds the checkpoint (or the zone) moved and drops its chunk. Undefined: no such tenant.
 */
export async function rebuildTenantKpis(db: Database, redis: Redis, tenantId: string): Promise<Rebuilt | undefined> {
  const tenant = await tenantZone(db, tenantId);
  if (!tenant) return undefined;
  const at = await lastPositionBelow(db, tenantId, await safeHorizon(db));
  const [rows, customers] = await Promise.all([
    ledgerCounters(db, tenantId, tenant.timeZone, { upTo: at }),
    ledgerCustomers(db, tenantId, tenant.timeZone, at),
  ]);
  const delta = aggregate([]);
  for (const r of rows) (delta.days.get(r.day) ?? delta.days.set(r.day, new Map()).get(r.day)!).set(r.currency, r.counters);
  for (const c of customers) {
    (delta.customers.get(c.currency) ?? delta.customers.set(c.currency, new Map()).get(c.currency)!).set(c.customerId, { netSpend: c.netSpend, orders: c.orders });
  }
  await replaceAll(redis, tenantId, at, delta, tenant.timeZone);
  return { checkpoint: positionText(at), zone: tenant.timeZone, days: delta.days.size, customers: customers.length };
}
