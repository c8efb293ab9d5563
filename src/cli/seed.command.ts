import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { MAX_SEED_CUSTOMERS, MAX_SEED_PRODUCTS, seedDemoCatalog } from '../modules/demo/seed.service.js';
import { checkTenantSlug, ensureTenant } from '../modules/tenants/tenant.repository.js';
import { withContext } from './context.js';
import { intOption } from './options.js';

/** Below this many rows a seed takes a few seconds: no progress bar. */
const PROGRESS_FROM = 100_000;

export function registerSeed(program: Command): void {
  program
    .command('seed')
    .description('create a deterministic demo catalog (products with stock, customers)')
    .option('--products <n>', `number of products, at most ${MAX_SEED_PRODUCTS}`, intOption('--products', 0, MAX_SEED_PRODUCTS), 1000)
    .option('--customers <n>', `number of customers, at most ${MAX_SEED_CUSTOMERS}`, intOption('--customers', 0, MAX_SEED_CUSTOMERS), 10000)
    .option('--seed <s>', 'seed for stock levels', intOption('--seed'), 1)
    .option('--tenant <slug>', 'tenant to seed (created if missing)')
    .action(async (opts: { products: number; customers: number; seed: number; tenant?: string }) => {
      if (opts.tenant !== undefined) checkTenantSlug(opts.tenant, '--tenant');
      const total = opts.products + opts.customers;
      // cli-progress draws nothing when stderr is not a terminal.
      const bar = total >= PROGRESS_FROM ? new SingleBar({ format: 'seed |{bar}| {percentage}% | {value}/{total} rows | ETA {eta_formatted}', stream: process.stderr }) : undefined;
      await withContext(async (ctx) => {
        const tenant = await ensureTenant(ctx.db, opts.tenant ?? ctx.config.defaultTenant);
        bar?.start(total, 0);
        const result = await ctx.db
          .transaction((tx) => seedDemoCatalog(tx, tenant.id, { ...opts, onProgress: (done) => bar?.update(done) }))
          .finally(() => bar?.stop());
        console.log(
          `tenant ${tenant.slug}: ${result.productsCreated} products and ${result.customersCreated} customers created ` +
            `(${opts.products - result.productsCreated} and ${opts.customers - result.customersCreated} already present)`,
        );
      });
    });
}
