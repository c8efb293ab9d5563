import { healthModule } from './health/health.routes.js';
import type { AppModule } from './module.js';

/** Every feature module, in the order its routes and jobs are registered. */
export const modules: readonly AppModule[] = [healthModule];
