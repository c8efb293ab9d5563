import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { materializeChunk, refreshStatistics } from './import.materialize.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    /** chunk: the number of the slice's first chunk in the whole import (1 when absent). */
    imports_materialize: { tenantId: string; importId: string; chunk?: number };
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

type Slice = { tenantId: string; importId: string; chunk?: number };

/**
 * One slice of phase 2. Safe to run twice, or beside the next slice: each chunk's transaction
 * takes the import's row lock and consumes the codes after its checkpoint, so every chunk is
 * done once whichever job gets there. Killed after a chunk commits but before the next slice is
 * enqueued, the job itself expires and is retried from the checkpoint. Returns whether the import
 * is done (completed, or no longer materializing).
 */
export async function materializeSlice(
  ctx: Pick<AppContext, 'db' | 'queue'>,
  s: Slice,
  opts: { budgetMs?: number; chunkOrders?: number } = {},
): Promise<boolean> {
  const until = Date.now() + (opts.budgetMs ?? SLICE_MS);
  for (let chunk = s.chunk ?? 1; ; chunk++) {
    const r = await materializeChunk(ctx, s.tenantId, s.importId, opts.chunkOrders);
    // The same statistics cadence as materializeImport, counted over the whole import.
    if (!r.done || chunk > 1) await refreshStatistics(ctx.db, chunk, r.done);
    if (r.done) return true;
    if (Date.now() >= until) {
      await ctx.queue.send(ctx.db, 'imports_materialize', { tenantId: s.tenantId, importId: s.importId, chunk: chunk + 1 });
      return false;
    }
  }
}

/** Phase 2 of an uploaded import, one slice per job. */
export async function registerImportJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('imports_materialize', { batchSize: 1 }, async ([job]) => {
    if (job) await materializeSlice(ctx, job.data);
  });
}
