import type { AppModule } from '../module.js';
import { registerOutboundJobs, stopOutbound } from './outbound.jobs.js';
import { webhookRoutes } from './webhook.routes.js';

export const outboundModule: AppModule = { name: 'outbound', routes: webhookRoutes, jobs: registerOutboundJobs, stop: stopOutbound };
