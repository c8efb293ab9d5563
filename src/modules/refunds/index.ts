import { orderRouteHooks } from '../orders/order.routes.js';
import { refundEventHandler } from '../payments/payment-events.service.js';
import type { AppModule } from '../module.js';
import { applyRefundEvents } from './refund-events.js';
import { registerRefundJobs } from './refund.jobs.js';
import { refundsOfOrder } from './refund.repository.js';
import { refundRoutes } from './refund.routes.js';
import { toRefundDto } from './refund.dto.js';
import { refundInFull } from './refund.service.js';

// Gateway answers reach refunds through the one webhook path, in its transaction.
refundEventHandler.apply = applyRefundEvents;
orderRouteHooks.refundsOf = async (ex, orderId) => (await refundsOfOrder(ex, orderId)).map(toRefundDto);

export const refundsModule: AppModule = {
  name: 'refunds',
  routes: refundRoutes,
  jobs: registerRefundJobs,
  // Cancelling a paid order (API or CLI) refunds it in the cancel transaction, with this process's queue.
  init: (ctx) => {
    orderRouteHooks.refundInFull = async (tx, order) => {
      await refundInFull(ctx, tx, order, { reason: `order ${order.orderCode} cancelled`, restock: true });
    };
  },
};
