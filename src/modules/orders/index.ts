import type { AppModule } from '../module.js';
import { registerOrderJobs } from './order.jobs.js';
import { orderRoutes } from './order.routes.js';

export const ordersModule: AppModule = { name: 'orders', routes: orderRoutes, jobs: registerOrderJobs };
