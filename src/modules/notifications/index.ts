import type { AppContext } from '../../context.js';
import type { AppModule } from '../module.js';
import { onTransition } from '../orders/order.transitions.js';
import { notifyOnTransition } from './notification.enqueue.js';
import { registerNotificationJobs } from './notification.jobs.js';
import { notificationRoutes } from './notification.routes.js';
import { bindNotifications } from './notification.runtime.js';

export { enqueueNotifications } from './notification.enqueue.js';
export { bindNotifications } from './notification.runtime.js';
export type { NotificationRequest } from './notification.types.js';

// Every process that changes order status records its notifications in the same transaction.
onTransition(notifyOnTransition);

export const notificationsModule: AppModule = {
  name: 'notifications',
  routes: notificationRoutes,
  // Every role binds: the transition listener enqueues delivery jobs wherever orders change.
  init: (ctx: AppContext) => bindNotifications(ctx),
  jobs: registerNotificationJobs,
};
