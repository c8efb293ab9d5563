/**
 * BENCH_MODE=ingest: parse, validate and write orders and items of the generated file (no
 * workflow). BENCH_MODE=pipeline: the same file with workers running, until every order is
 * final (completed, failed or payment_failed); on PostgreSQL + Redis also the projector's rate.
 * Runs in-process as `ordersys import` does, so this process's peak RSS is the import's.
 */
import { loadConfig } from '../../src/config/config.js';
import { resolveSecret } from '../../src/config/secret.js';
import { closeContext, createContext } from '../../src/context.js';
import { stopAnalytics } from '../../src/modules/analytics/analytics.jobs.js';
import { registryKey, checkpointKey } from '../../src/modules/analytics/kpi.store.js';
import { Projector } from '../../src/modules/analytics/projector.js';
import { seedDemoCatalog } from '../../src/modules/demo/seed.service.js';
import { resolveImportOptions } from '../../src/modules/imports/import.options.js';
import { importFile } from '../../src/modules/imports/import.service.js';
import { countOrdersByStatus } from '../../src/modules/orders/status-tallies.js';
import { ensureTenant } from '../../src/modules/tenants/tenant.repository.js';
import { createLogger } from '../../src/platform/logger.js';
import { startWorkers } from '../../src/worker.js';
import { benchFile, benchLines } from '../lib/fixtures.js';
import { peakRssMb, report, seconds } from '../lib/report.js';
import { schemaWriteFloor } from '../lib/schema-floor.js';

const mode = process.env.BENCH_MODE === 'pipeline' ? 'pipeline' : 'ingest';
const lines = benchLines();
const file = await benchFile(lines);
const config = resolveSecret(loadConfig({ ...process.env, GATEWAY_LATENCY_MS: process.env.GATEWAY_LATENCY_MS ?? '5-50' }));
const ctx = await createContext(config, createLogger('warn'), mode === 'pipeline' ? 'all' : 'cli');
const tenant = await ensureTenant(ctx.db, 'bench');
await ctx.db.transaction((tx) => seedDemoCatalog(tx, tenant.id, { products: 1000, customers: 10000, seed: 1 }));

const t0 = performance.now();
if (mode === 'pipeline') await startWorkers(ctx);
const imp = await importFile(ctx, { tenantId: tenant.id, path: file, options: resolveImportOptions({}), mapping: {} });
const ingestSeconds = seconds(t0);

if (mode === 'ingest') {
  report({ figure: 'ingest: parse, validate, write orders and items', value: Math.round(lines / ingestSeconds), unit: 'lines/s', better: 'higher' });
  report({ figure: 'ingest: orders created', value: imp.ordersCreated, unit: 'orders', better: 'higher' });
  report({ figure: 'ingest peak RSS', value: peakRssMb(), unit: 'MB', better: 'lower' });
  const floor = await schemaWriteFloor(ctx.db, tenant.id);
  report({ figure: 'floor: the same rows written into the schema', value: Math.round(lines / floor.seconds), unit: 'lines/s', better: 'higher' });
  report({ figure: 'floor: the same rows into key-only tables', value: Math.round(lines / floor.keysOnlySeconds), unit: 'lines/s', better: 'higher' });
} else {
  const open = async () => {
    const counts = await countOrdersByStatus(ctx.db, tenant.id);
    return (counts.get('pending') ?? 0) + (counts.get('reserved') ?? 0);
  };
  while ((await open()) > 0) await new Promise((r) => setTimeout(r, 250));
  const total = seconds(t0);
  const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1`, [tenant.id]);
  report({ figure: 'pipeline: every order final', value: Math.round(rows[0]!.n / total), unit: 'orders/s', better: 'higher' });
  report({ figure: 'pipeline: lines to every order final', value: Math.round(lines / total), unit: 'lines/s', better: 'higher' });
  report({ figure: 'pipeline: wall time', value: Math.round(total * 10) / 10, unit: 's', better: 'lower' });
  // The rest of the wall time is the workflow finishing the orders the import left behind.
  report({ figure: 'pipeline: import finished after', value: Math.round(ingestSeconds * 10) / 10, unit: 's', better: 'lower' });
  report({ figure: 'pipeline peak RSS', value: peakRssMb(), unit: 'MB', better: 'lower' });

  if (ctx.redis) {
    // Projector rate: replay the whole run into Redis from scratch with one projector.
    await stopAnalytics(ctx);
    const keys = await ctx.redis.smembers(registryKey(tenant.id));
    await ctx.redis.del(...keys, registryKey(tenant.id), checkpointKey(tenant.id));
    const projector = new Projector({ db: ctx.db, redis: ctx.redis, logger: ctx.logger, metrics: ctx.metrics });
    const t1 = performance.now();
    let events = 0;
    for (let n = await projector.runOnce(); n > 0; n = await projector.runOnce()) events += n;
    report({ figure: 'projector: events into Redis', value: Math.round(events / seconds(t1)), unit: 'events/s', better: 'higher' });
  }
}
await closeContext(ctx);
