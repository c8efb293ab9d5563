import type { Command } from 'commander';
import type { AppContext } from '../context.js';
import { findOrderEvents, findOrderItems } from '../modules/orders/order.repository.js';
import { orderRouteHooks } from '../modules/orders/order.routes.js';
import { findOrderWithCustomer, listOrders } from '../modules/orders/order.queries.js';
import { advanceOrder, cancelOrder } from '../modules/orders/order.service.js';
import { ORDER_STATUSES, type OrderStatus } from '../modules/orders/order.state.js';
import { DomainError, notFound } from '../platform/errors.js';
import { withContext } from './context.js';
import { intOption, tenantOption } from './options.js';
import { formatMinor, minorDigits } from '../platform/money.js';
import { isUuid } from '../platform/uuid.js';


async function tenantId(ctx: AppContext, slug: string | undefined): Promise<string> {
  return (await tenantOption(ctx, slug)).id;
}

/** ORDER is an order id or an order code. */
async function resolveOrder(ctx: AppContext, tenant: string, ref: string): Promise<string> {
  const { rows } = await ctx.db.query<{ id: string }>(
    `SELECT id FROM orders WHERE tenant_id = $1 AND ${isUuid(ref) ? 'id = $2::uuid' : 'order_code = $2'}`,
    [tenant, ref],
  );
  if (!rows[0]) throw notFound('Order', ref);
  return rows[0].id;
}

const money = (minor: number, currency: string) => `${formatMinor(minor, minorDigits(currency))} ${currency}`;

async function show(ctx: AppContext, tenant: string, id: string): Promise<void> {
  const o = (await findOrderWithCustomer(ctx.db, tenant, id))!;
  console.log(`${o.orderCode}  ${o.status}${o.refundStatus !== 'none' ? ` (refund ${o.refundStatus}: ${money(o.refundedTotal, o.currency)})` : ''}`);
  console.log(`  id ${o.id}, placed ${o.placedAt.toISOString()}, ${o.customerName} <${o.customerEmail}>, total ${money(o.total, o.currency)}`);
  if (o.failureReason) console.log(`  reason: ${o.failureReason}`);
  for (const i of await findOrderItems(ctx.db, id)) console.log(`  ${String(i.quantity).padStart(4)} x ${i.sku}  ${i.name}  ${money(i.lineTotal, o.currency)}`);
  for (const e of await findOrderEvents(ctx.db, id)) console.log(`  ${e.createdAt.toISOString()}  ${e.type}${e.toStatus ? ` -> ${e.toStatus}` : ''}`);
}

export function registerOrders(program: Command): void {
  const orders = program.command('orders').description('look at and act on orders (ORDER = order id or order code)');
  orders
    .command('list')
    .option('--status <status>', `one of ${ORDER_STATUSES.join(', ')}`)
    .option('--limit <n>', 'how many', intOption('--limit', 1), 20)
    .option('--tenant <slug>')
    .action(async (opts: { status?: string; limit: number; tenant?: string }) => {
      if (opts.status && !ORDER_STATUSES.includes(opts.status as OrderStatus)) {
        throw new DomainError('INVALID_DATA', `--status: must be one of ${ORDER_STATUSES.join(', ')} (got "${opts.status}").`);
      }
      await withContext(async (ctx) => {
        const page = await listOrders(ctx.db, await tenantId(ctx, opts.tenant), { status: opts.status as OrderStatus | undefined, limit: opts.limit });
        for (const o of page.items) console.log(`${o.orderCode.padEnd(20)} ${o.status.padEnd(15)} ${money(o.total, o.currency).padStart(14)}  ${o.customerEmail}`);
      });
    });
  orders
    .command('show <order>')
    .option('--tenant <slug>')
    .action(async (ref: string, opts: { tenant?: string }) => {
      await withContext(async (ctx) => {
        const tenant = await tenantId(ctx, opts.tenant);
        await show(ctx, tenant, await resolveOrder(ctx, tenant, ref));
      });
    });
  for (const action of ['cancel', 'ship', 'deliver'] as const) {
    orders
      .command(`${action} <order>`)
      .option('--reason <text>', 'why (kept on the audit trail)')
      .option('--tenant <slug>')
      .action(async (ref: string, opts: { tenant?: string; reason?: string }) => {
        await withContext(async (ctx) => {
          const tenant = await tenantId(ctx, opts.tenant);
          const id = await resolveOrder(ctx, tenant, ref);
          if (action === 'cancel') await cancelOrder(ctx, tenant, id, opts.reason ?? 'cancelled by operator (cli)', orderRouteHooks.refundInFull);
          else await advanceOrder(ctx, tenant, id, action, { by: 'cli', ...(opts.reason && { note: opts.reason }) });
          await show(ctx, tenant, id);
        });
      });
  }
}
