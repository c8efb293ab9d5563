import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { AppContext } from '../context.js';
import type { ImportRow } from '../modules/imports/import.repository.js';
import { resolveImportOptions } from '../modules/imports/import.options.js';
import { importFile } from '../modules/imports/import.service.js';
import type { MappingOptions } from '../modules/imports/mapping.js';
import { loadNorthwindLookups } from '../modules/imports/presets/northwind.js';
import { registerOrderJobs } from '../modules/orders/order.jobs.js';
import { closeGateway } from '../modules/payments/gateway.runtime.js';
import { registerPaymentJobs } from '../modules/payments/payment.jobs.js';
import { ensureTenant, findTenantBySlug } from '../modules/tenants/tenant.repository.js';
import { DataDirectoryInUseError } from '../platform/db/pglite-lock.js';
import { DomainError } from '../platform/errors.js';
import { withContext } from './context.js';
import { importSummary } from './imports.command.js';
import { intOption } from './options.js';

interface ImportCliOptions {
  tenant?: string;
  preset: string;
  map: string[];
  northwindDir?: string;
  createProducts?: boolean;
  defaultStock?: number;
  wait: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const fmt = (n: number) => n.toLocaleString('en-US');

function bar(label: string, unit: string): SingleBar {
  return new SingleBar({
    format: `${label.padEnd(13)} |{bar}| {percentage}% | {done} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 20,
  });
}

/** The workflow runs in this process until every order the import created has left pending and reserved. */
async function driveWorkflow(ctx: AppContext, imp: ImportRow): Promise<void> {
  if (imp.ordersCreated === 0) return;
  await registerOrderJobs(ctx);
  await registerPaymentJobs(ctx);
  const progress = bar('workflow', 'orders');
  progress.start(imp.ordersCreated, 0, { done: 0, speed: 0 });
  const started = Date.now();
  let interrupted = false;
  const onSignal = () => (interrupted = true);
  process.once('SIGINT', onSignal);
  try {
    for (;;) {
      const asked = performance.now();
      const { rows } = await ctx.db.query<{ open: number; total: number }>(
        `SELECT count(*) FILTER (WHERE status IN ('pending', 'reserved'))::int AS open, count(*)::int AS total
         FROM orders WHERE tenant_id = $1 AND import_id = $2`,
        [imp.tenantId, imp.id],
      );
      const { open, total } = rows[0]!;
      const done = total - open;
      progress.update(done, { done: fmt(done), speed: fmt(Math.round(done / Math.max(0.001, (Date.now() - started) / 1000))) });
      if (open === 0 || interrupted) break;
      // The count reads every order of the import (~0.1 s for 270,000): poll no more than a fifth
      // of the time, so the progress bar never takes much from the workers it watches.
      await new Promise((r) => setTimeout(r, Math.max(500, 4 * (performance.now() - asked))));
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
  }
  if (interrupted) console.error('Stopped waiting: the remaining orders go on in any running ordersys worker.');
}

async function runImport(file: string, opts: ImportCliOptions): Promise<void> {
  const path = resolve(file);
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) throw new DomainError('INVALID_DATA', `${file}: no such file.`);
  // The file is read twice (hashed, then imported): a directory, device or pipe cannot be, and
  // /dev/zero would never end.
  if (!info.isFile()) throw new DomainError('INVALID_DATA', `${file}: not a regular file; give the path of a CSV file.`);
  const options = resolveImportOptions({ preset: opts.preset, map: opts.map, createProducts: opts.createProducts, defaultStock: opts.defaultStock });
  const mapping: MappingOptions = { preset: options.preset, map: options.map };
  if (options.preset === 'northwind') mapping.northwind = await loadNorthwindLookups(opts.northwindDir ?? dirname(path));
  await withContext(async (ctx) => {
    const slug = opts.tenant ?? ctx.config.defaultTenant;
    const tenant = opts.tenant ? await findTenantBySlug(ctx.db, slug) : await ensureTenant(ctx.db, slug);
    if (!tenant) throw new DomainError('NOT_FOUND', `No tenant '${slug}'. Create it with \`ordersys seed --tenant ${slug}\`, or leave --tenant out for ${ctx.config.defaultTenant}.`);
    const reading = bar('reading', 'lines');
    const materializing = bar('materializing', 'lines');
    const started = Date.now();
    let staged = 0;
    const imp = await importFile(ctx, {
      tenantId: tenant.id,
      path,
      options,
      mapping,
      onStart: (row, resumed) => {
        if (resumed) console.error(`Resuming import ${row.id}, cut short at line ${fmt(row.checkpointLine)} (${row.phase}).`);
        if (row.phase === 'reading') reading.start(row.bytesTotal ?? 0, row.bytesRead, { done: fmt(row.linesRead), speed: 0 });
      },
      read: {
        onProgress: (p) => {
          const seconds = Math.max(0.001, (Date.now() - started) / 1000);
          reading.update(p.bytesRead, { done: fmt(p.linesRead), speed: fmt(Math.round(p.linesRead / seconds)) });
        },
      },
      materialize: {
        onProgress: (row) => {
          if (staged === 0) {
            reading.stop();
            staged = row.linesRead;
            materializing.start(row.linesRead, 0, { done: 0, speed: 0 });
          }
          const done = row.linesAccepted + row.linesRejected;
          const seconds = Math.max(0.001, (Date.now() - started) / 1000);
          materializing.update(done, { done: fmt(done), speed: fmt(Math.round(row.linesRead / seconds)) });
        },
      },
    });
    reading.stop();
    materializing.stop();
    try {
      if (opts.wait) await driveWorkflow(ctx, imp);
      console.log(await importSummary(ctx, imp, tenant.slug, { waited: opts.wait }));
    } finally {
      await closeGateway(ctx);
    }
  });
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import orders from a CSV file: streamed, validated, resumable (run it again after a crash)')
    .argument('<file>', 'CSV file (native format unless --preset)')
    .option('--tenant <slug>', 'tenant to import into (default: ORDERSYS_DEFAULT_TENANT)')
    .option('--preset <name>', 'file format: native, uci or northwind', 'native')
    .option('--map <field=Header>', 'native field read from another column, repeatable', collect, [])
    .option('--northwind-dir <dir>', 'directory of northwind_orders/products/customers.csv (default: next to FILE)')
    .option('--create-products', 'create unknown SKUs from the file (needs --default-stock)')
    .option('--default-stock <n>', 'stock of each created product', intOption('--default-stock'))
    .option('--no-wait', 'return once the orders exist, without running the workflow here')
    .action(async (file: string, opts: ImportCliOptions) => {
      try {
        await runImport(file, opts);
      } catch (err) {
        if (err instanceof DataDirectoryInUseError) {
          err.message +=
            ' To import while the server runs, upload the file to it instead: ' +
            'curl -X POST -H "Authorization: Bearer $KEY" -H "Content-Type: text/csv" --data-binary @FILE http://HOST:PORT/imports';
        }
        throw err;
      }
    });
}
