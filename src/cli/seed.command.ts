import { InvalidArgumentError, type Command } from 'commander';
import { seedDemoCatalog } from '../modules/demo/seed.service.js';
import { ensureTenant } from '../modules/tenants/tenant.repository.js';
import { withContext } from './context.js';

export function intOption(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number >= ${min} (got "${value}").`);
    return n;
  };
}

export function registerSeed(program: Command): void {
  program
    .command('seed')
    .description('create a deterministic demo catalog (products with stock, customers)')
    .option('--products <n>', 'number of products', intOption('--products'), 1000)
    .option('--customers <n>', 'number of customers', intOption('--customers'), 10000)
    .option('--seed <s>', 'seed for stock levels', intOption('--seed'), 1)
    .option('--tenant <slug>', 'tenant to seed (created if missing)')
    .action(async (opts: { products: number; customers: number; seed: number; tenant?: string }) => {
      await withContext(async (ctx) => {
        const tenant = await ensureTenant(ctx.db, opts.tenant ?? ctx.config.defaultTenant);
        const result = await ctx.db.transaction((tx) => seedDemoCatalog(tx, tenant.id, opts));
        console.log(
          `tenant ${tenant.slug}: ${result.productsCreated} products and ${result.customersCreated} customers created ` +
            `(${opts.products - result.productsCreated} and ${opts.customers - result.customersCreated} already present)`,
        );
      });
    });
}
