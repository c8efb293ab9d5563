import { orderRouteHooks } from '../orders/order.routes.js';
import { refundEventHandler } from '../payments/payment-events.service.js';
import type { AppModule } from '../module.js';
import { applyRefundEvents } from './refund-events.js';
import { registerRefundJobs } from './refund.jobs.js';
import { refundsOfOrder } from './refund.repository.js';
import { refundRoutes } from './refund.routes.js';
import { toRefundDto } from './refund.dto.js';

// Gateway answers reach refunds through the one webhook path, in its transaction.
refundEventHandler.apply = applyRefundEvents;
orderRouteHooks.refundsOf = async (ex, orderId) => (await refundsOfOrder(ex, orderId)).map(toRefundDto);

export const refundsModule: AppModule = { name: 'refunds', routes: refundRoutes, jobs: registerRefundJobs };
