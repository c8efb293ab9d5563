import type { Command } from 'commander';
import { refundBody } from '../modules/refunds/refund.dto.js';
import { refundWithKey } from '../modules/refunds/refund.idempotency.js';
import { findRefund } from '../modules/refunds/refund.repository.js';
import { askGateway, resolveOrder } from '../modules/refunds/refund.service.js';
import { gatewayOf } from '../modules/payments/gateway.runtime.js';
import { DomainError } from '../platform/errors.js';
import { withContext } from './context.js';
import { intOption, tenantOption } from './options.js';

export function registerRefund(program: Command): void {
  program
    .command('refund <order>')
    .description('refund a paid order (ORDER = order id or code); the same --key never refunds twice, as with the API')
    .requiredOption('--reason <text>', 'why the money goes back')
    .requiredOption('--key <key>', 'idempotency key: repeating the command with it changes nothing')
    .option('--amount <minor>', 'amount in minor units (cents); default: everything still refundable', intOption('--amount', 1))
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .action(async (ref: string, opts: { reason: string; key: string; amount?: number; tenant?: string }) => {
      await withContext(async (ctx) => {
        const tenant = await tenantOption(ctx, opts.tenant);
        const order = await resolveOrder(ctx.db, tenant.id, ref);
        const parsed = refundBody.safeParse({ amount: opts.amount, reason: opts.reason });
        if (!parsed.success) throw new DomainError('INVALID_DATA', `--${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
        const result = await refundWithKey(ctx, tenant.id, order.id, parsed.data, opts.key.trim());
        if (result.replayed) {
          console.error(`key "${opts.key}" was already used for this refund: nothing changed`);
        } else {
          // Ask now and wait for the answer; the request queued with the booking re-asks if this process dies first.
          const booked = await findRefund(ctx.db, tenant.id, result.body.id);
          if (booked?.status === 'pending') {
            await askGateway(ctx, booked);
            await gatewayOf(ctx).drain();
          }
        }
        const current = await findRefund(ctx.db, tenant.id, result.body.id);
        const r = current ?? result.body;
        console.log(
          `refund ${r.id} of order ${order.orderCode}: ${r.amount} ${r.currency} minor units, ${r.status}` +
            (r.failureReason ? ` (${r.failureReason})` : ''),
        );
      });
    });
}
