import type { AppContext } from '../../context.js';
import { readCheckpoint } from './kpi.store.js';
import { lastPositionBelow, listTenantZones, positionText } from './ledger.repository.js';
import { safeHorizon } from '../../platform/db/horizon.js';
import { Projector } from './projector.js';

const EVERYTHING = '18446744073709551615'; // the largest xid8

/**
 * For tests: projects until Redis holds every counted event of the tenant. The safe horizon is
 * cluster-wide, so a long write transaction in another database (a parallel test file) can hold
 * the projector back for a while; wait for it rather than read half-projected figures.
 */
export async function catchUp(ctx: AppContext, tenantId: string, timeoutMs = 30_000): Promise<void> {
  if (!ctx.redis) return;
  const projector = new Projector({ db: ctx.db, redis: ctx.redis, logger: ctx.logger, metrics: ctx.metrics });
  const target = positionText(await lastPositionBelow(ctx.db, tenantId, EVERYTHING));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await projector.runOnce();
    const at = await readCheckpoint(ctx.redis, tenantId);
    if ((at ? positionText(at) : '0:0') === target) return;
    if (Date.now() > deadline) throw new Error(`projector did not reach ${target} in ${timeoutMs} ms (at ${at ? positionText(at) : 'nothing'})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** For tests: every tenant's events projected. */
export async function catchUpAll(ctx: AppContext): Promise<void> {
  for (const t of await listTenantZones(ctx.db)) await catchUp(ctx, t.id);
}

/** For tests: waits until the safe horizon has passed every counted event of the tenant. */
export async function settled(ctx: AppContext, tenantId: string, timeoutMs = 30_000): Promise<void> {
  const target = positionText(await lastPositionBelow(ctx.db, tenantId, EVERYTHING));
  const deadline = Date.now() + timeoutMs;
  while (positionText(await lastPositionBelow(ctx.db, tenantId, await safeHorizon(ctx.db))) !== target) {
    if (Date.now() > deadline) throw new Error(`the safe horizon did not pass ${target} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
