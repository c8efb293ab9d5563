import type { AppModule } from '../module.js';
import { ensureJobTenantIndex } from './job-tenant-index.js';
import { queueRoutes } from './queues.routes.js';

export const queuesModule: AppModule = {
  name: 'queues',
  routes: queueRoutes,
  // Where the monitor is served: it finds a tenant's jobs through this index on pg-boss's table.
  init: async (ctx) => {
    if (ctx.role === 'api' || ctx.role === 'all') await ensureJobTenantIndex(ctx.db, ctx.logger);
  },
};
