import type { AppContext } from '../../context.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { materializeImport } from './import.materialize.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    imports_materialize: { tenantId: string; importId: string };
  }
}

// A million lines materialize in well under a minute; the expiry leaves room for slow disks.
defineQueue({ name: 'imports_materialize', retryLimit: 20, retryDelay: 5, retryBackoff: true, expireInSeconds: 3600 });

/** Phase 2 of an uploaded import. Safe to run twice: each chunk is consumed once, under a row lock. */
export async function registerImportJobs(ctx: AppContext): Promise<void> {
  await ctx.queue.work('imports_materialize', { batchSize: 1 }, async ([job]) => {
    if (job) await materializeImport(ctx, job.data.tenantId, job.data.importId);
  });
}
