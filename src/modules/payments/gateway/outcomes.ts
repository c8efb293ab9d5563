import { DECLINE_MESSAGES, REFUND_FAILURE_REASONS, type GatewayEvent } from './events.js';
import type { GatewayBehaviour } from './options.js';
import { between, pickWeighted, stableId, streamFor, type Random } from './prng.js';

/*
 * Pure decisions: what the gateway answers and when each copy of the answer is delivered.
 * Every draw comes from a stream keyed by the payment (or refund) id and is always taken in the
 * same order, so changing one rate never shifts the other decisions for that id.
 */

export interface PaymentRequest {
  paymentId: string;
  orderId: string;
  tenantId: string;
  amount: number;
  currency: string;
}

export interface RefundRequest extends PaymentRequest {
  refundId: string;
}

/** One event and the delay of each copy to deliver (two copies when duplicated). */
export interface DeliveryPlan {
  event: GatewayEvent;
  delaysMs: number[];
}

const declineTables = new WeakMap<GatewayBehaviour, { value: string; weight: number }[]>();
function declineTable(behaviour: GatewayBehaviour) {
  let table = declineTables.get(behaviour);
  if (!table) {
    table = behaviour.declineReasons.map((r) =>
      typeof r === 'string' ? { value: r, weight: 1 } : { value: r.code, weight: r.weight },
    );
    declineTables.set(behaviour, table);
  }
  return table;
}

export function planAuthorization(
  behaviour: GatewayBehaviour,
  req: PaymentRequest,
  createdSec: number,
  batchLatencyMs?: number,
): DeliveryPlan {
  checkRequest(req, req.paymentId);
  const random = streamFor(behaviour.seed, 'authorize', req.paymentId);
  const succeeded = random() < behaviour.successRate;
  const declineCode = pickWeighted(random, declineTable(behaviour));
  const base = { payment_id: req.paymentId, ...money(req) };
  const data = succeeded
    ? { type: 'payment.succeeded' as const, data: base }
    : {
        type: 'payment.failed' as const,
        data: { ...base, decline_code: declineCode, reason: messageFor(declineCode) },
      };
  const id = stableId('evt', behaviour.seed, 'authorize', req.paymentId);
  return { event: { id, created: createdSec, ...data }, delaysMs: delays(behaviour, random, batchLatencyMs) };
}

export function planRefund(behaviour: GatewayBehaviour, req: RefundRequest, createdSec: number): DeliveryPlan {
  checkRequest(req, req.refundId);
  const random = streamFor(behaviour.seed, 'refund', req.refundId);
  const succeeded = random() < behaviour.refundSuccessRate;
  const reason = REFUND_FAILURE_REASONS[Math.floor(random() * REFUND_FAILURE_REASONS.length)] ?? 'unknown';
  const base = { refund_id: req.refundId, payment_id: req.paymentId, ...money(req) };
  const data = succeeded
    ? { type: 'refund.succeeded' as const, data: base }
    : { type: 'refund.failed' as const, data: { ...base, reason } };
  const id = stableId('evt', behaviour.seed, 'refund', req.refundId);
  return { event: { id, created: createdSec, ...data }, delaysMs: delays(behaviour, random) };
}

/** Latency, then maybe a late hold-back, then maybe a duplicate one more latency later. */
function delays(behaviour: GatewayBehaviour, random: Random, batchLatencyMs?: number): number[] {
  const { latencyMs, lateRate, maxDelayMs, duplicateRate } = behaviour;
  const latency = between(random, latencyMs.min, latencyMs.max);
  const isLate = random() < lateRate;
  const lateBy = between(random, 0, maxDelayMs);
  const isDuplicate = random() < duplicateRate;
  const resendAfter = between(random, latencyMs.min, latencyMs.max);
  const first = (batchLatencyMs ?? latency) + (isLate ? lateBy : 0);
  return isDuplicate ? [first, first + resendAfter] : [first];
}

function money(req: PaymentRequest) {
  return { order_id: req.orderId, tenant_id: req.tenantId, amount: req.amount, currency: req.currency };
}

function messageFor(code: string): string {
  return (DECLINE_MESSAGES as Record<string, string>)[code] ?? `The payment was declined (${code}).`;
}

/*
 * The simulator must never emit what the webhook schema would reject, so a bad request (a caller
 * bug) throws here. Plain checks rather than a zod parse per event: this runs 100k times per import.
 */
function checkRequest(req: PaymentRequest, id: string): void {
  const problem =
    !Number.isInteger(req.amount) || req.amount <= 0
      ? `amount must be a positive integer in minor units, got ${req.amount}`
      : !/^[A-Z]{3}$/.test(req.currency)
        ? `currency must be an upper-case ISO 4217 code such as EUR, got ${JSON.stringify(req.currency)}`
        : [req.paymentId, req.orderId, req.tenantId, id].some((v) => typeof v !== 'string' || v.length === 0)
          ? 'paymentId, orderId, tenantId (and refundId) must be non-empty strings'
          : null;
  if (problem) throw new Error(`cannot simulate a gateway call for ${id || '(no id)'}: ${problem}`);
}
