import type { GatewayEvent } from './events.js';
import type { GatewayBehaviour } from './options.js';
import { signPayload } from './signature.js';
import { Timeline } from './timeline.js';
import type { BatchTransport, DeliveryFailure, SignedDelivery, Transport } from './transport.js';

/*
 * At-least-once delivery of signed events. Deliveries due at the same moment leave as one group,
 * which is what lets deliverBatch hand a whole import batch to the in-process handler in one call.
 * Each attempt is signed when it is sent, as a real gateway does, so a retry carries a fresh
 * timestamp instead of going stale.
 */

export interface DeliveryQueueOptions {
  secret: string | readonly string[];
  deliver: Transport;
  deliverBatch?: BatchTransport | undefined;
  behaviour: Pick<GatewayBehaviour, 'retry' | 'batchSize' | 'concurrency' | 'outOfOrder'>;
  /** Clock for signature timestamps (ms); scheduling itself runs on real timers. */
  now?: (() => number) | undefined;
  onFailure?: ((failure: DeliveryFailure) => void) | undefined;
}

interface Item {
  event: GatewayEvent;
  rawBody: string;
  dueAt: number;
  attempt: number;
  /** Fixed per copy, so a shuffled window delivers in the same order on every run. */
  shuffleKey: number;
}

export class DeliveryQueue {
  private readonly timeline = new Timeline<Item>((group) => this.release(group));
  private inFlight = 0;
  private closed = false;
  private drainWaiters: Array<() => void> = [];
  private readonly counts = { delivered: 0, retried: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: DeliveryQueueOptions) {}

  enqueue(event: GatewayEvent, rawBody: string, delayMs: number, shuffleKey: number): void {
    if (this.closed) throw new Error('payment gateway simulator is closed; create a new one to send more events');
    this.timeline.add({ event, rawBody, dueAt: this.windowed(Date.now() + delayMs), attempt: 0, shuffleKey });
  }

  /** Resolves once every queued delivery, retries included, has succeeded or given up. */
  drain(): Promise<void> {
    if (this.outstanding() === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Cancels the timer and drops what is not yet sent; deliveries already in flight finish. */
  close(): void {
    this.closed = true;
    this.counts.dropped += this.timeline.clear().length;
    this.settleDrain();
  }

  stats() {
    return { pending: this.timeline.size, inFlight: this.inFlight, ...this.counts };
  }

  private outstanding(): number {
    return this.timeline.size + this.inFlight;
  }

  // Rounding due times up to the window makes everything in one window leave as one group.
  private windowed(at: number): number {
    const window = this.options.behaviour.outOfOrder;
    return window ? Math.ceil(at / window.windowMs) * window.windowMs : at;
  }

  private release(group: Item[]): void {
    if (this.options.behaviour.outOfOrder) group.sort((a, b) => a.shuffleKey - b.shuffleKey);
    this.inFlight += group.length;
    void this.dispatch(group);
  }

  private async dispatch(group: Item[]): Promise<void> {
    const { deliverBatch, behaviour } = this.options;
    if (deliverBatch && group.length > 1) {
      for (let i = 0; i < group.length; i += behaviour.batchSize) {
        await this.attempt(group.slice(i, i + behaviour.batchSize), (signed) => deliverBatch(signed));
      }
      return;
    }
    let next = 0;
    const worker = async () => {
      while (next < group.length) {
        const item = group[next++]!;
        await this.attempt([item], ([signed]) =>
          this.options.deliver(item.event, { rawBody: signed!.rawBody, signatureHeader: signed!.signatureHeader }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(behaviour.concurrency, group.length) }, worker));
  }

  /*
   * Must never throw: every item handed in leaves inFlight exactly once, or drain() hangs.
   * A failed batch is retried whole; the receiver dedupes on event id, so the members that
   * did get through before the failure are harmless repeats.
   */
  private async attempt(items: Item[], send: (signed: SignedDelivery[]) => Promise<void>): Promise<void> {
    const timestamp = Math.floor((this.options.now ?? Date.now)() / 1000);
    const signed = items.map((item) => ({
      event: item.event,
      rawBody: item.rawBody,
      signatureHeader: signPayload(this.options.secret, item.rawBody, timestamp),
    }));
    let error: unknown = null;
    let failed = false;
    try {
      await send(signed);
    } catch (e) {
      failed = true;
      error = e;
    }
    this.inFlight -= items.length;
    if (failed) this.retryOrGiveUp(items, error);
    else this.counts.delivered += items.length;
    this.settleDrain();
  }

  private retryOrGiveUp(items: Item[], error: unknown): void {
    const { attempts, baseDelayMs, maxDelayMs } = this.options.behaviour.retry;
    // One clock reading for the whole batch: read per item, it could tick between two items (a
    // slow onFailure, a busy machine) and split the batch's retry into two groups.
    const now = Date.now();
    for (const item of items) {
      item.attempt += 1;
      const willRetry = !this.closed && item.attempt < attempts;
      if (willRetry) {
        this.counts.retried += 1;
        item.dueAt = now + Math.min(maxDelayMs, baseDelayMs * 2 ** (item.attempt - 1));
        this.timeline.add(item);
      } else {
        this.counts.failed += 1;
      }
      try {
        this.options.onFailure?.({ event: item.event, attempt: item.attempt, error, willRetry });
      } catch {
        // A broken logger must not stop deliveries or wedge drain().
      }
    }
  }

  private settleDrain(): void {
    if (this.outstanding() !== 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
