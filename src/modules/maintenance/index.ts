import type { AppModule } from '../module.js';
import { startStatisticsKeeper, stopStatisticsKeeper } from './statistics.js';

/** Housekeeping the database needs while ordersys runs: planner statistics of the hot tables, and the orders-per-status tallies folded. */
export const maintenanceModule: AppModule = {
  name: 'maintenance',
  jobs: async (ctx) => startStatisticsKeeper(ctx),
  stop: stopStatisticsKeeper,
};
