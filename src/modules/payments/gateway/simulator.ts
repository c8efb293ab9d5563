import { DeliveryQueue } from './delivery-queue.js';
import type { BatchTransport, DeliveryFailure, Transport } from './transport.js';
import { parseGatewayBehaviour, type GatewayBehaviour, type GatewayBehaviourInput } from './options.js';
import { planAuthorization, planRefund, type DeliveryPlan, type PaymentRequest, type RefundRequest } from './outcomes.js';
import { between, streamFor } from './prng.js';

/*
 * A payment gateway that behaves like a real one where it hurts: answers arrive only by signed
 * webhook, after a delay, sometimes late, sometimes twice, sometimes out of order, and a receiver
 * that fails is retried. authorize() only schedules; the outcome reaches the app through
 * `deliver`, exactly as a real gateway's would.
 */

export interface SimulatorOptions extends GatewayBehaviourInput {
  /** Webhook signing secret(s); there is deliberately no default. */
  secret: string | readonly string[];
  deliver: Transport;
  /** In-process bulk path: deliveries due together arrive in one call (a lone one uses deliver). */
  deliverBatch?: BatchTransport;
  /** Clock (ms) for `created` and signature timestamps; delays use real timers. */
  now?: () => number;
  onDeliveryFailure?: (failure: DeliveryFailure) => void;
}

export class PaymentGatewaySimulator {
  readonly behaviour: GatewayBehaviour;
  private readonly queue: DeliveryQueue;
  private readonly now: () => number;

  constructor(options: SimulatorOptions) {
    const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
    if (secrets.length === 0 || secrets.some((s) => s.length === 0)) {
      throw new Error('payment gateway simulator needs a non-empty webhook secret');
    }
    this.behaviour = parseGatewayBehaviour(options);
    this.now = options.now ?? Date.now;
    this.queue = new DeliveryQueue({
      secret: options.secret,
      deliver: options.deliver,
      deliverBatch: options.deliverBatch,
      behaviour: this.behaviour,
      now: this.now,
      onFailure: options.onDeliveryFailure,
    });
  }

  /**
   * Decides the outcome from (seed, paymentId) and schedules its webhook. Calling it twice for
   * one paymentId yields the same event id, like an idempotency key: the receiver dedupes it.
   */
  async authorize(request: PaymentRequest): Promise<void> {
    this.schedule(planAuthorization(this.behaviour, request, this.createdSec()));
  }

  async refund(request: RefundRequest): Promise<void> {
    this.schedule(planRefund(this.behaviour, request, this.createdSec()));
  }

  /**
   * Bulk form for imports. Outcomes are the same as authorize() would give one by one, but the
   * batch shares one latency, so everything not late or duplicated is due at once and reaches
   * deliverBatch in batchSize groups instead of one call per payment.
   */
  async authorizeMany(requests: readonly PaymentRequest[]): Promise<void> {
    const first = requests[0];
    if (!first) return;
    const { min, max } = this.behaviour.latencyMs;
    const latency = between(streamFor(this.behaviour.seed, 'batch', first.paymentId, String(requests.length)), min, max);
    const created = this.createdSec();
    // Plan everything before scheduling anything: a bad request fails the call with nothing sent.
    const plans = requests.map((request) => planAuthorization(this.behaviour, request, created, latency));
    for (const plan of plans) this.schedule(plan);
  }

  /** Resolves when every scheduled delivery has been attempted, retries included. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Cancels pending deliveries and the timer; in-flight deliveries finish. */
  close(): void {
    this.queue.close();
  }

  stats(): ReturnType<DeliveryQueue['stats']> {
    return this.queue.stats();
  }

  private schedule({ event, delaysMs }: DeliveryPlan): void {
    // Serialised once: a duplicate carries byte-identical JSON, as a real redelivery does.
    const rawBody = JSON.stringify(event);
    delaysMs.forEach((delay, copy) => {
      this.queue.enqueue(event, rawBody, delay, streamFor(this.behaviour.seed, 'order', event.id, String(copy))());
    });
  }

  private createdSec(): number {
    return Math.floor(this.now() / 1000);
  }
}
