import type { AppContext } from '../../context.js';
import { markImportFailed } from './import.repository.js';

/*
 * An upload whose server died while reading it has nobody left to finish or fail it: phase 1
 * runs only while the request streams. Such an import would stay 'running' for ever, holding its
 * Idempotency-Key (every retry answered 409) and its staged lines. A chunk of lines commits every
 * few thousand lines, so an upload with no committed chunk for this long is given up: failed,
 * its key given back, its staged lines deleted. An upload that was only slow finds its import
 * failed at its next chunk and its client gets a 409 that says so. CLI imports are never given
 * up: running the same file again resumes them.
 */
export const ABANDONED_UPLOAD_MINUTES = 15;

export function abandonedUploadReason(minutes: number): string {
  return `the upload stopped: no lines arrived for ${minutes} minutes (the server reading it stopped, or the client went away); upload the file again (the same Idempotency-Key may be reused)`;
}

/** Fails every HTTP upload idle for `minutes`; returns how many. Safe beside the uploads themselves and beside itself. */
export async function failAbandonedUploads(ctx: Pick<AppContext, 'db'>, minutes = ABANDONED_UPLOAD_MINUTES): Promise<number> {
  const idleFor = `${minutes} minutes`;
  const { rows } = await ctx.db.query<{ tenantId: string; id: string }>(
    `SELECT tenant_id AS "tenantId", id FROM imports
     WHERE status = 'running' AND phase = 'reading' AND source = 'http'
       AND coalesce(progressed_at, started_at, created_at) < now() - $1::interval`,
    [idleFor],
  );
  let failed = 0;
  // markImportFailed checks the idleness again under the row lock: a chunk that committed since wins.
  for (const r of rows) if (await markImportFailed(ctx.db, r.tenantId, r.id, abandonedUploadReason(minutes), { idleFor })) failed++;
  return failed;
}
