import type { AppModule } from '../module.js';
import { queueRoutes } from './queues.routes.js';

export const queuesModule: AppModule = { name: 'queues', routes: queueRoutes };
