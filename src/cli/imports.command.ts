import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { AppContext } from '../context.js';
import { importProgress } from '../modules/imports/import.dto.js';
import { errorReport, reportKept } from '../modules/imports/import.error-report.js';
import { findImport, importOrderStatuses, listImports, rejectionsByKind, type ImportRow } from '../modules/imports/import.repository.js';
import { DataDirectoryInUseError } from '../platform/db/pglite-lock.js';
import { DomainError } from '../platform/errors.js';
import { withContext } from './context.js';
import { intOption, openOut, tenantOption } from './options.js';
import { isUuid } from '../platform/uuid.js';

/*
 * `ordersys imports list|show|errors`: what GET /imports, GET /imports/:id and
 * GET /imports/:id/errors answer, for an operator at the embedded database's console.
 */

type Ctx = Pick<AppContext, 'db' | 'config'>;

/** GET /imports answers at most this many. */
const MAX_LIST = 200;
const fmt = (n: number) => n.toLocaleString('en-US');
/** ` --tenant T` when the tenant is not the default one: commands printed for the user to run. */
const tenantFlag = (ctx: Ctx, slug: string) => (slug === ctx.config.defaultTenant ? '' : ` --tenant ${slug}`);

/** Checked before the database is opened. */
function checkImportId(id: string): void {
  if (!isUuid(id)) {
    throw new DomainError('INVALID_DATA', `'${id}' is not an import id: ids are UUIDs, as printed by \`ordersys import\` and \`ordersys imports list\`.`);
  }
}

async function tenantIdOf(ctx: Ctx, slug: string): Promise<string> {
  return (await tenantOption(ctx, slug)).id;
}

export async function findImportOf(ctx: Ctx, slug: string, id: string): Promise<ImportRow> {
  const imp = await findImport(ctx.db, await tenantIdOf(ctx, slug), id);
  if (!imp) throw new DomainError('NOT_FOUND', `Import ${id} does not exist in tenant ${slug}: \`ordersys imports list${tenantFlag(ctx, slug)}\` shows its imports.`);
  return imp;
}

/**
 * The summary `ordersys import` ends with and `ordersys imports show` prints. Rejected lines are
 * counted once each, under their first reason, so the counts add up to the lines rejected.
 */
export async function importSummary(ctx: Ctx, imp: ImportRow, slug: string, opts: { waited?: boolean } = {}): Promise<string> {
  const state = imp.status === 'running' ? `running (${imp.phase}, ${Math.floor(importProgress(imp) * 100)} %)` : imp.status;
  const lines = [
    `import ${imp.id} (${imp.fileName}): ${state}`,
    `  lines   read ${fmt(imp.linesRead)}, accepted ${fmt(imp.linesAccepted)}, rejected ${fmt(imp.linesRejected)}`,
    `  orders  created ${fmt(imp.ordersCreated)}, already present ${fmt(imp.ordersExisting)}, rejected ${fmt(imp.ordersRejected)}`,
  ];
  if (imp.error !== null) lines.push(`  error   ${imp.error}`);
  const kinds = await rejectionsByKind(ctx.db, imp.id);
  if (Object.keys(kinds).length > 0) {
    lines.push(`  rejected lines by first reason: ${Object.entries(kinds).map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}`);
    lines.push(`  every rejected line, with all its reasons: ordersys imports errors ${imp.id}${tenantFlag(ctx, slug)}`);
  }
  if (imp.ordersCreated > 0) {
    const statuses = await importOrderStatuses(ctx.db, imp.tenantId, imp.id);
    const shown = Object.entries(statuses).map(([s, n]) => `${s} ${fmt(n)}`).join(', ');
    lines.push(`  order statuses${opts.waited === false ? ' (not waited for)' : ''}: ${shown}`);
  }
  return lines.join('\n');
}

/** The CSV of GET /imports/:id/errors, written to `out`; stdout is left open. */
export async function writeErrorReport(ctx: Ctx, imp: ImportRow, out: Writable): Promise<void> {
  reportKept(imp);
  await pipeline(Readable.from(errorReport(ctx.db, imp.id)), out, { end: out !== process.stdout });
}

/** Opens the database for one command; with the embedded one held by the server, points to the API. */
async function withImports(api: string, fn: (ctx: AppContext) => Promise<void>): Promise<void> {
  try {
    await withContext(fn);
  } catch (err) {
    if (err instanceof DataDirectoryInUseError) err.message += ` While the server runs, ask it instead: ${api} (with an API key).`;
    throw err;
  }
}

interface TenantOpt {
  tenant?: string;
}

export function registerImports(program: Command): void {
  const imports = program.command('imports').description('look at imports: list, one import, its rejected lines (as GET /imports...)');
  imports
    .command('list')
    .description('recent imports, newest first')
    .option('--limit <n>', `how many, up to ${MAX_LIST}`, intOption('--limit', 1), 20)
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .action(async (opts: TenantOpt & { limit: number }) => {
      if (opts.limit > MAX_LIST) throw new DomainError('INVALID_DATA', `--limit: at most ${MAX_LIST} (got ${opts.limit}).`);
      await withImports('GET /imports', async (ctx) => {
        const slug = opts.tenant ?? ctx.config.defaultTenant;
        const rows = await listImports(ctx.db, await tenantIdOf(ctx, slug), opts.limit);
        if (rows.length === 0) console.log(`no imports in tenant ${slug}`);
        for (const imp of rows) {
          console.log(
            `${imp.id}  ${imp.createdAt.toISOString().slice(0, 19)}Z  ${imp.status.padEnd(9)}  ` +
              `read ${fmt(imp.linesRead)}, accepted ${fmt(imp.linesAccepted)}, rejected ${fmt(imp.linesRejected)}  ${imp.fileName}`,
          );
        }
      });
    });
  imports
    .command('show')
    .description('one import: status, counts, rejected lines by reason, statuses of its orders')
    .argument('<importId>', 'the id printed by `ordersys import` or `ordersys imports list`')
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .action(async (id: string, opts: TenantOpt) => {
      checkImportId(id);
      await withImports(`GET /imports/${id}`, async (ctx) => {
        const slug = opts.tenant ?? ctx.config.defaultTenant;
        console.log(await importSummary(ctx, await findImportOf(ctx, slug, id), slug));
      });
    });
  imports
    .command('errors')
    .description('rejected lines as CSV (line,field,reason,raw), in file order, one row per problem')
    .argument('<importId>', 'the id printed by `ordersys import` or `ordersys imports list`')
    .option('--out <file>', 'write the CSV to this file instead of stdout')
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .action(async (id: string, opts: TenantOpt & { out?: string }) => {
      checkImportId(id);
      await withImports(`GET /imports/${id}/errors`, async (ctx) => {
        const imp = await findImportOf(ctx, opts.tenant ?? ctx.config.defaultTenant, id);
        const out = opts.out === undefined ? process.stdout : await openOut(opts.out);
        try {
          await writeErrorReport(ctx, imp, out);
        } catch (err) {
          // `... | head`: the reader has all it wants.
          if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
          throw err;
        }
        if (opts.out !== undefined) {
          const more = imp.status === 'running' ? ' so far (the import is still running)' : '';
          console.error(`Wrote the ${fmt(imp.linesRejected)} rejected lines of import ${imp.id}${more} to ${opts.out}.`);
        }
      });
    });
}
