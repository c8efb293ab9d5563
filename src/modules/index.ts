import { analyticsModule } from './analytics/index.js';
import { dashboardModule } from './dashboard/index.js';
import { keysModule } from './auth/keys.routes.js';
import { healthModule } from './health/health.routes.js';
import { importsModule } from './imports/index.js';
import { inventoryModule } from './inventory/inventory.routes.js';
import { maintenanceModule } from './maintenance/index.js';
import type { AppModule } from './module.js';
import { notificationsModule } from './notifications/index.js';
import { ordersModule } from './orders/index.js';
import { outboundModule } from './outbound/index.js';
import { paymentsModule } from './payments/index.js';
import { queuesModule } from './queues/index.js';
import { tenantsModule } from './tenants/tenant.routes.js';
import { refundsModule } from './refunds/index.js';

/** Every feature module, in the order its routes and jobs are registered. */
export const modules: readonly AppModule[] = [healthModule, ordersModule, paymentsModule, inventoryModule, tenantsModule, keysModule, refundsModule, notificationsModule, analyticsModule, importsModule, queuesModule, dashboardModule, outboundModule, maintenanceModule];
