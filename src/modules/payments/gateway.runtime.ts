import type { AppContext } from '../../context.js';
import { httpTransport, PaymentGatewaySimulator } from './gateway/index.js';
import { receiveWebhooks, webhookSecret } from './webhook.js';

const gateways = new WeakMap<AppContext, PaymentGatewaySimulator>();

/**
 * The payment gateway of this process: the shipped simulator, configured from GATEWAY_*.
 * 'inprocess' delivery hands the signed bytes straight to the webhook handler (bulk imports);
 * 'http' POSTs them to GATEWAY_WEBHOOK_URL. Either way the same verification runs.
 */
export function gatewayOf(ctx: AppContext): PaymentGatewaySimulator {
  let gateway = gateways.get(ctx);
  if (gateway) return gateway;
  const g = ctx.config.gateway;
  const inProcess = (deliveries: readonly { rawBody: string; signatureHeader: string }[]) =>
    receiveWebhooks(ctx, deliveries).then(() => undefined);
  gateway = new PaymentGatewaySimulator({
    secret: webhookSecret(ctx.config.secret),
    seed: g.seed,
    successRate: g.successRate,
    refundSuccessRate: g.refundSuccessRate,
    latencyMs: g.latencyMs,
    duplicateRate: g.duplicateRate,
    lateRate: g.lateRate,
    outOfOrder: g.outOfOrderMs > 0 ? { windowMs: g.outOfOrderMs } : false,
    deliver:
      g.delivery === 'http' && g.webhookUrl
        ? httpTransport(g.webhookUrl)
        : (_event, signed) => inProcess([signed]),
    ...(g.delivery === 'inprocess' && { deliverBatch: inProcess }),
    onDeliveryFailure: (f) =>
      ctx.logger.warn({ event: f.event.id, attempt: f.attempt, willRetry: f.willRetry, err: String(f.error) }, 'webhook delivery failed'),
  });
  gateways.set(ctx, gateway);
  return gateway;
}

export async function closeGateway(ctx: AppContext): Promise<void> {
  const gateway = gateways.get(ctx);
  if (!gateway) return;
  gateways.delete(ctx);
  gateway.close();
}
