import type { AppContext } from '../../context.js';
import { markImportFailed } from './import.repository.js';

/*
 * An upload whose server died while reading it has nobody left to finish or fail it: phase 1
 * runs only while the request streams. Such an import would stay 'running' for ever, holding its
 * Idempotency-Key (every retry answered 409) and its staged lines. A chunk of lines commits every
 * few thousand lines, so an upload with no committed chunk for this long is given up: failed,
 * its key given back, its staged lines deleted. An upload that was only slow finds its import
 * failed at its next chunk and its client gets a 409 that says so. CLI imports resume when the
 * same file is run again, so they are given up only after days (below).
 */
export const ABANDONED_UPLOAD_MINUTES = 15;

export function abandonedUploadReason(minutes: number): string {
  return `the upload stopped: no lines arrived for ${minutes} minutes (the server reading it stopped, or the client went away); upload the file again (the same Idempotency-Key may be reused)`;
}

/*
 * A CLI import killed while reading resumes when its file is imported again; one nobody runs
 * again would keep its staged lines (~190 bytes a line) for ever. After this long without a
 * chunk it is failed like an upload; importing the file later starts a new import, which finds
 * the orders already created present.
 */
export const ABANDONED_CLI_IMPORT_DAYS = 7;

export function abandonedCliImportReason(days: number): string {
  return `not resumed for ${days} days: its staged lines were dropped; import the file again to finish it (orders already created are kept and reported as already present)`;
}

/**
 * Fails every HTTP upload idle for `minutes`, and every CLI import idle for `cliDays`, while
 * reading; returns how many. Safe beside the imports themselves and beside itself.
 */
export async function failAbandonedImports(
  ctx: Pick<AppContext, 'db'>,
  minutes = ABANDONED_UPLOAD_MINUTES,
  cliDays = ABANDONED_CLI_IMPORT_DAYS,
): Promise<number> {
  let failed = 0;
  for (const [source, idleFor, reason] of [
    ['http', `${minutes} minutes`, abandonedUploadReason(minutes)],
    ['cli', `${cliDays} days`, abandonedCliImportReason(cliDays)],
  ] as const) {
    const { rows } = await ctx.db.query<{ tenantId: string; id: string }>(
      `SELECT tenant_id AS "tenantId", id FROM imports
       WHERE status = 'running' AND phase = 'reading' AND source = $1
         AND coalesce(progressed_at, started_at, created_at) < now() - $2::interval`,
      [source, idleFor],
    );
    // markImportFailed checks the idleness again under the row lock: a chunk that committed since wins.
    for (const r of rows) if (await markImportFailed(ctx.db, r.tenantId, r.id, reason, { idleFor })) failed++;
  }
  return failed;
}
