import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { failAbandonedImports } from './import.abandoned.js';
import { runChunks } from './import.materialize.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    /** chunk: the number of the slice's first chunk in the whole import (1 when absent). */
    imports_materialize: { tenantId: string; importId: string; chunk?: number };
    imports_reap_uploads: Record<string, never>;
  }
}

/**
 * Phase 2 runs as a chain of jobs, each doing chunks for about this long and then enqueueing the
 * next: a job's expiry then bounds one slice, not a whole import of any size, and a worker killed
 * mid-import holds the import up for about a minute instead of an hour.
 */
export const SLICE_MS = 10_000;

// A slice is SLICE_MS plus one chunk (~1.6 s for 5,000 orders): the expiry leaves ample room.
// Outliving it is harmless, as is any repeat: see materializeSlice.
defineQueue({ name: 'imports_materialize', retryLimit: 20, retryDelay: 5, retryBackoff: true, expireInSeconds: 60 });
defineQueue({ name: 'imports_reap_uploads', retryLimit: 2, expireInSeconds: 60 });

type Slice = { tenantId: string; importId: string; chunk?: number };

/** When the last chunks are held by another run, the next slice looks again this much later. */
const BUSY_RETRY_SECONDS = 2;

/**
 * One slice of phase 2: parallel chunk runs (runChunks) for about SLICE_MS, then the next slice is
 * enqueued. Safe to run twice, or beside the next slice: chunks are claimed FOR UPDATE SKIP
 * LOCKED and each commits once, whichever job gets there. Killed after a chunk commits but before
 * the next slice is enqueued, the job itself expires and is retried. Returns whether the import
 * is done (completed, or no longer materializing).
 */
export async function materializeSlice(
  ctx: Pick<AppContext, 'db' | 'queue'>,
  s: Slice,
  opts: { budgetMs?: number; chunkOrders?: number } = {},
): Promise<boolean> {
  const chunksBefore = (s.chunk ?? 1) - 1;
  const r = await runChunks(ctx, s.tenantId, s.importId, { chunkOrders: opts.chunkOrders, chunksBefore, until: Date.now() + (opts.budgetMs ?? SLICE_MS) });
  if (r.kind === 'done') return true;
  const next = { tenantId: s.tenantId, importId: s.importId, chunk: r.chunks + 1 };
  await ctx.queue.send(ctx.db, 'imports_materialize', next, r.kind === 'busy' ? { startAfterSeconds: BUSY_RETRY_SECONDS } : undefined);
  return false;
}

/** Phase 2 of an uploaded import, one slice per job; uploads cut short given up (import.abandoned.ts). */
export async function registerImportJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('imports_materialize', { batchSize: 1 }, async ([job]) => {
    if (job) await materializeSlice(ctx, job.data);
  });
  await ctx.queue.work('imports_reap_uploads', { batchSize: 1 }, async () => {
    const n = await failAbandonedImports(ctx);
    if (n > 0) ctx.logger.warn({ failed: n }, 'gave up imports that stopped arriving');
  });
  await ctx.queue.schedule('imports_reap_uploads', '* * * * *', {});
}
