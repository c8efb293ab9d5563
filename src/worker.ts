import type { AppContext } from './context.js';
import { modules } from './modules/index.js';

/** Subscribes every module's job handlers (and cron schedules) in this process. */
export async function startWorkers(ctx: AppContext): Promise<void> {
  for (const module of modules) {
    if (module.jobs) await module.jobs(ctx);
  }
  ctx.logger.info({ modules: modules.filter((m) => m.jobs).map((m) => m.name) }, 'workers started');
}
