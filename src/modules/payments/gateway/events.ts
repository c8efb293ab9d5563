import { z } from 'zod';

/*
 * What the gateway sends to POST /webhooks/payments. `id` is unique per event and is the dedupe
 * key: gateways deliver at least once, so the handler must record `id` and ignore repeats.
 * Amounts are integer minor units (cents); floats never carry money.
 */

export const GATEWAY_EVENT_TYPES = ['payment.succeeded', 'payment.failed', 'refund.succeeded', 'refund.failed'] as const;
export type GatewayEventType = (typeof GATEWAY_EVENT_TYPES)[number];

/** Stripe's common decline codes, with the sentence a customer can act on. */
export const DECLINE_MESSAGES = {
  card_declined: 'The card was declined; ask the customer to use another card.',
  insufficient_funds: 'The card has insufficient funds; ask the customer to use another card.',
  expired_card: 'The card has expired; ask the customer to update the card details.',
  processing_error: 'The card could not be processed; retry the payment.',
  fraudulent: 'The payment was blocked as likely fraud; do not retry it.',
} as const;
export type DeclineCode = keyof typeof DECLINE_MESSAGES;
export const DECLINE_CODES = Object.keys(DECLINE_MESSAGES) as DeclineCode[];

export const REFUND_FAILURE_REASONS = ['expired_or_canceled_card', 'lost_or_stolen_card', 'declined', 'unknown'] as const;

const money = {
  order_id: z.string().min(1),
  tenant_id: z.string().min(1),
  amount: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be an upper-case ISO 4217 code such as EUR'),
};
const payment = { payment_id: z.string().min(1), ...money };
const refund = { refund_id: z.string().min(1), payment_id: z.string().min(1), ...money };

function eventOf<T extends GatewayEventType, D extends z.ZodRawShape>(type: T, data: D) {
  return z.object({
    id: z.string().regex(/^evt_[A-Za-z0-9]+$/),
    type: z.literal(type),
    created: z.number().int().nonnegative(),
    data: z.object(data),
  });
}

// Unknown decline codes and refund reasons are accepted: a real gateway adds codes without notice,
// and refusing its webhook would only make it retry forever.
export const gatewayEventSchema = z.discriminatedUnion('type', [
  eventOf('payment.succeeded', payment),
  eventOf('payment.failed', { ...payment, decline_code: z.string().min(1), reason: z.string().optional() }),
  eventOf('refund.succeeded', refund),
  eventOf('refund.failed', { ...refund, reason: z.string().min(1) }),
]);

export type GatewayEvent = z.infer<typeof gatewayEventSchema>;
export type GatewayEventOf<T extends GatewayEventType> = Extract<GatewayEvent, { type: T }>;

/** Parse a verified raw body. Returns a value: a malformed event is a 400, not a crash. */
export function parseGatewayEvent(
  rawBody: string | Buffer,
): { ok: true; event: GatewayEvent } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString());
  } catch {
    return { ok: false, message: 'body is not valid JSON' };
  }
  const result = gatewayEventSchema.safeParse(json);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  return { ok: false, message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid event'}` };
}
