import type { AppModule } from '../module.js';
import { registerPaymentJobs } from './payment.jobs.js';
import { webhookRoutes } from './webhook.routes.js';

export const paymentsModule: AppModule = { name: 'payments', routes: webhookRoutes, jobs: registerPaymentJobs };
