import { createHmac } from 'node:crypto';
import type { AppContext } from '../../context.js';
import { DomainError } from '../../platform/errors.js';
import { parseGatewayEvent, type GatewayEvent } from './gateway/events.js';
import { verifySignature } from './gateway/signature.js';
import { applyGatewayEvents } from './payment-events.service.js';

/** The gateway's webhook signing secret, derived from the one ordersys secret. */
export function webhookSecret(secret: string): string {
  return createHmac('sha256', secret).update('ordersys:payments-webhook:v1').digest('hex');
}

export interface SignedBody {
  rawBody: string;
  signatureHeader: string | undefined;
}

/** Verifies and parses one delivery; refusals are DomainErrors that become 400s. */
export function verifyDelivery(secret: string, { rawBody, signatureHeader }: SignedBody): GatewayEvent {
  const verdict = verifySignature(webhookSecret(secret), rawBody, signatureHeader);
  if (!verdict.ok) throw new DomainError('INVALID_DATA', `Stripe-Signature: ${verdict.message}`, { reason: verdict.reason });
  const parsed = parseGatewayEvent(rawBody);
  if (!parsed.ok) throw new DomainError('INVALID_DATA', `body: ${parsed.message}`);
  return parsed.event;
}

/**
 * The one webhook path. POST /webhooks/payments calls it with one delivery; the in-process
 * gateway transport calls it with a batch. Both verify every signature the same way.
 */
export async function receiveWebhooks(ctx: Pick<AppContext, 'db' | 'logger' | 'config'>, deliveries: readonly SignedBody[]): Promise<number> {
  const events = deliveries.map((d) => verifyDelivery(ctx.config.secret, d));
  return applyGatewayEvents(ctx, events);
}
