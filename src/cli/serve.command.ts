import { Option, type Command } from 'commander';
import { loadConfig } from '../config/config.js';
import type { AppContext } from '../context.js';
import { createApiKey, countApiKeys } from '../modules/auth/api-key.repository.js';
import { seedDemoCatalog } from '../modules/demo/seed.service.js';
import { countProducts } from '../modules/inventory/product.repository.js';
import { findTenantBySlug } from '../modules/tenants/tenant.repository.js';
import { startServer, stopOnSignals, type ServeRole } from '../server.js';

/** Zero set-up: the first embedded start gets a demo catalog, so there is something to order. */
async function seedOnFirstStart(ctx: AppContext): Promise<void> {
  if (ctx.db.kind !== 'pglite') return;
  const tenant = await findTenantBySlug(ctx.db, ctx.config.defaultTenant);
  if (!tenant) return;
  if ((await countProducts(ctx.db, tenant.id)) === 0) {
    const result = await ctx.db.transaction((tx) => seedDemoCatalog(tx, tenant.id, { products: 1000, customers: 10000, seed: 1 }));
    ctx.logger.info(result, `first start: seeded the demo catalog for tenant ${tenant.slug}`);
  }
  if ((await countApiKeys(ctx.db, tenant.id)) === 0) {
    const { key } = await createApiKey(ctx.db, tenant.id, 'admin', 'local admin (first start)');
    console.log(`first start: local admin API key for tenant ${tenant.slug} (shown once):\n  ${key}`);
  }
}

export function registerServe(program: Command): void {
  program
    .command('start')
    .description('run API, workers and scheduler in one process (the embedded default)')
    .action(async () => {
      const server = await startServer(loadConfig(), 'all', seedOnFirstStart);
      stopOnSignals(server);
      console.log(`ordersys is running at ${server.url}  (API docs: ${server.url}/docs, health: ${server.url}/health/ready)`);
    });

  program
    .command('serve')
    .description('run one role, for scale-out on PostgreSQL: api, worker, or all')
    .addOption(new Option('--role <role>', 'process role').choices(['api', 'worker', 'all']).default('all'))
    .action(async (opts: { role: ServeRole }) => {
      const server = await startServer(loadConfig(), opts.role);
      stopOnSignals(server);
      console.log(`ordersys ${opts.role} started${server.url ? ` at ${server.url}` : ''}`);
    });
}
