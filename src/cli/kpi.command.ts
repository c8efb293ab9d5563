import type { Command } from 'commander';
import type { AppContext } from '../context.js';
import { getKpis, getLeaderboard, rebuildKpis, verifyKpis } from '../modules/analytics/analytics.service.js';
import { DomainError, invalid } from '../platform/errors.js';
import { formatMinor, isCurrencyCode, minorDigits } from '../platform/money.js';
import { withContext } from './context.js';
import { tenantOption } from './options.js';

async function tenantId(ctx: AppContext, slug: string | undefined): Promise<string> {
  return (await tenantOption(ctx, slug)).id;
}

/** Minor units as a decimal amount with the currency's own number of decimals (JPY 0, EUR 2). */
const money = (minor: number, currency: string): string => formatMinor(minor, minorDigits(currency));

/** --currency in any case, upper-cased. An unknown code matched no order and read as "no completed orders yet". */
export function currencyOption(value: string): string {
  const code = value.toUpperCase();
  if (!isCurrencyCode(code)) throw invalid('--currency', `"${value}" is not an ISO 4217 currency code like EUR or JPY.`);
  return code;
}

interface TenantOpt {
  tenant?: string;
}

export function registerKpi(program: Command): void {
  const kpi = program
    .command('kpi')
    .description("revenue, orders, average order value, refunds, failures of a day or range (days in the tenant's time zone)")
    .option('--date <YYYY-MM-DD>', 'one day (default: today)')
    .option('--from <YYYY-MM-DD>', 'first day of a range')
    .option('--to <YYYY-MM-DD>', 'last day of a range, included')
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .option('--json', 'print JSON')
    .action(async (opts: TenantOpt & { date?: string; from?: string; to?: string; json?: boolean }) => {
      await withContext(async (ctx) => {
        const report = await getKpis(ctx, await tenantId(ctx, opts.tenant), opts);
        if (opts.json) return console.log(JSON.stringify(report, null, 2));
        const span = report.from === report.to ? report.from : `${report.from} .. ${report.to}`;
        console.log(`${span} (${report.timeZone}, from ${report.source})`);
        if (report.currencies.length === 0) console.log('  no sales yet');
        for (const k of report.currencies) {
          console.log(
            `  ${k.currency}  revenue ${money(k.revenue, k.currency)}  gross ${money(k.grossRevenue, k.currency)}  orders ${k.ordersCompleted}  AOV ${money(k.averageOrderValue, k.currency)}` +
              `  refunds ${k.refundsCount} (${money(k.refundsAmount, k.currency)})  failed ${k.ordersFailed}  cancelled ${k.ordersCancelled}`,
          );
        }
      });
    });

  kpi
    .command('rebuild')
    .description('recompute the live KPIs in Redis from the Postgres ledger')
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .action(async (opts: TenantOpt) => {
      await withContext(async (ctx) => {
        const result = await rebuildKpis(ctx, await tenantId(ctx, opts.tenant ?? kpi.opts<TenantOpt>().tenant));
        if (!result.redis) return console.log('no REDIS_URL: KPIs are read from the Postgres ledger; nothing to rebuild');
        console.log(`rebuilt ${result.days} days and ${result.customers} customer totals from the ledger (checkpoint ${result.checkpoint})`);
      });
    });

  kpi
    .command('verify')
    .description('compare the live KPIs in Redis with the Postgres ledger, and the ledger with the order and refund rows; exits 1 on drift')
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .action(async (opts: TenantOpt) => {
      await withContext(async (ctx) => {
        const result = await verifyKpis(ctx, await tenantId(ctx, opts.tenant ?? kpi.opts<TenantOpt>().tenant));
        const { ledger } = result;
        for (const d of result.drift) console.log(`drift: ${d.what}: live ${d.live}, ledger ${d.ledger}`);
        for (const d of ledger.drift) console.log(`drift: ${d.what}: ledger ${d.ledger}, order rows ${d.rows}`);
        const shown = ledger.drift.filter((d) => d.what.startsWith('order ')).length;
        if (ledger.ordersMismatched > 0) console.log(`${ledger.ordersMismatched} orders disagree with the ledger${shown ? '; the first are named above' : ''}`);
        const checked = [
          result.redis
            ? `Redis: ${result.checked!.days} days, ${result.checked!.customers} customer totals at checkpoint ${result.checkpoint}, ${result.unprojected} counted events not projected yet`
            : 'no REDIS_URL: reads answer from the ledger',
          `ledger: ${ledger.orders} orders and ${ledger.refunds} succeeded refunds compared with their rows`,
        ].join('; ');
        const drifted = result.drift.length + ledger.drift.length;
        if (drifted > 0) {
          const repair = result.drift.length > 0 && ledger.drift.length === 0 ? '; repair with `ordersys kpi rebuild`' : '; the ledger itself disagrees with the orders: investigate before rebuilding';
          console.error(`ordersys: ${drifted} figures drifted (${checked})${repair}`);
          process.exitCode = 1;
        } else console.log(`no drift (${checked})`);
      });
    });

  program
    .command('leaderboard')
    .description('top customers by net spend (completed orders minus refunds), per currency')
    .option('--limit <n>', 'how many customers (1-100)', '10')
    .option('--currency <code>', 'only this ISO 4217 currency, like EUR', currencyOption)
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .option('--json', 'print JSON')
    .action(async (opts: TenantOpt & { limit: string; currency?: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new DomainError('INVALID_DATA', `--limit: "${opts.limit}" must be a whole number from 1 to 100.`);
      await withContext(async (ctx) => {
        const result = await getLeaderboard(ctx, await tenantId(ctx, opts.tenant), limit, opts.currency);
        if (opts.json) return console.log(JSON.stringify(result, null, 2));
        if (result.leaderboards.length === 0) console.log('no completed orders yet');
        for (const board of result.leaderboards) {
          console.log(`${board.currency} (from ${result.source})`);
          for (const c of board.customers) {
            console.log(`  ${String(c.rank).padStart(3)}. ${money(c.netSpend, board.currency).padStart(12)}  ${String(c.orders).padStart(5)} orders  ${c.name} <${c.email}>`);
          }
        }
      });
    });
}
