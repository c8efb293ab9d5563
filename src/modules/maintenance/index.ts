import type { AppModule } from '../module.js';
import { registerRetentionJobs, stopRetentionJobs } from './retention.jobs.js';
import { startStatisticsKeeper, stopStatisticsKeeper } from './statistics.js';

/**
 * Housekeeping the database needs while ordersys runs: planner statistics of the hot tables, the
 * orders-per-status tallies folded, and operational rows deleted once past their retention window.
 */
export const maintenanceModule: AppModule = {
  name: 'maintenance',
  jobs: async (ctx) => {
    startStatisticsKeeper(ctx);
    await registerRetentionJobs(ctx);
  },
  stop: async (ctx) => {
    await stopRetentionJobs(ctx);
    await stopStatisticsKeeper(ctx);
  },
};
