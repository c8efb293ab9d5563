import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { publicType, subjectOf, toEnvelope, type Envelope, type EventRow } from './envelope.js';
import type { NatsPublisher } from './nats.js';
import type { Sink } from './relay.js';
import { hasActiveSubscriptions, insertDeliveries } from './webhook.repository.js';

/**
 * Webhooks: the batch becomes delivery rows (one statement) and one delivery job, in the relay's
 * transaction. No HTTP here: a slow subscriber only delays its own delivery jobs.
 */
export function webhookSink(ctx: AppContext): Sink {
  return {
    name: 'webhooks',
    // A subscription only ever receives events created after it (insertDeliveries), so events
    // relayed while there is none are owed to no one.
    async hasAudience(ex: Executor) {
      return hasActiveSubscriptions(ex);
    },
    async publish(tx: Executor, events: readonly EventRow[]) {
      const created = await insertDeliveries(
        tx,
        events.map((e) => e.id),
        events.map((e) => publicType(e.type)),
        ctx.config.outbound.retryForMs,
      );
      if (created > 0) await ctx.queue.send(tx, 'outbound_deliver', {});
    },
  };
}

export interface NatsSinkOptions {
  /** Tests throw here to kill the relay part-way through a batch. */
  afterEach?: (envelope: Envelope, index: number) => void | Promise<void>;
}

/*
 * NATS JetStream: one message per event on `<prefix>.<tenant>.<type>`, with the event id as
 * Nats-Msg-Id so the stream drops a republished duplicate inside its duplicate window. Each
 * publish waits for the stream's ack before the next: a failure stops the batch at that event,
 * and the retry starts again from the checkpoint, so no order's events are ever reordered.
 */
export function natsSink(ctx: AppContext, publisher: NatsPublisher, options: NatsSinkOptions = {}): Sink {
  return {
    name: 'nats',
    async publish(_tx: Executor, events: readonly EventRow[]) {
      let i = 0;
      for (const event of events) {
        const envelope = toEnvelope(event);
        await publisher.publish(subjectOf(ctx.config.outbound.natsSubjectPrefix, envelope), JSON.stringify(envelope), envelope.id);
        await options.afterEach?.(envelope, i++);
      }
    },
  };
}
