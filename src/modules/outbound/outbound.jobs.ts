import type { AppContext } from '../../context.js';
import { PeriodicRunner } from '../../platform/periodic.js';
import { defineQueue } from '../../platform/queue/registry.js';
import { NatsPublisher } from './nats.js';
import { Relay } from './relay.js';
import { natsSink, webhookSink } from './sinks.js';
import { deliverDue } from './webhook.delivery.js';
import { nextDueInMs } from './webhook.repository.js';

declare module '../../platform/queue/registry.js' {
  interface JobRegistry {
    /** Safety net: runs the relays once a minute in case no worker loop is running. */
    outbound_relay: Record<string, never>;
    /** Sends whatever webhook deliveries are due; enqueued by the relay and by itself. */
    outbound_deliver: Record<string, never>;
  }
}

// Both are "do what is due" jobs: a missed or doubled run costs nothing.
defineQueue({ name: 'outbound_relay', retryLimit: 0, expireInSeconds: 300 });
defineQueue({ name: 'outbound_deliver', retryLimit: 2, retryDelay: 5, expireInSeconds: 900 });

/** How soon a delivery job looks again for retries due shortly (later ones: the minute cron). */
const FOLLOW_UP_WITHIN_MS = 60_000;

/**
 * This process's relays (webhooks always, NATS when NATS_URL is set). The cron job and the
 * in-process loop share them, so within a process a relay never runs twice at once; across
 * processes the checkpoint row lock keeps them apart. One failing sink does not stop the others.
 */
export class RelayRunner extends PeriodicRunner {
  constructor(ctx: AppContext, readonly relays: readonly Relay[], onStop: () => Promise<void> = async () => {}) {
    super(
      ctx.logger,
      async (warn) => {
        let total = 0;
        for (const relay of relays) {
          try {
            total += await relay.drain();
          } catch (err) {
            warn(`outbound relay ${relay.name}`, err);
          }
        }
        return total;
      },
      onStop,
    );
  }
}

export function createRelayRunner(ctx: AppContext): RelayRunner {
  const batchSize = ctx.config.outbound.relayBatch;
  const relays = [new Relay(ctx.db, webhookSink(ctx), { batchSize })];
  const { natsUrl, natsStream, natsSubjectPrefix } = ctx.config.outbound;
  const publisher = natsUrl ? new NatsPublisher({ url: natsUrl, stream: natsStream, subjectPrefix: natsSubjectPrefix }) : undefined;
  if (publisher) relays.push(new Relay(ctx.db, natsSink(ctx, publisher), { batchSize }));
  return new RelayRunner(ctx, relays, async () => publisher?.close());
}

/** Sends what is due, then makes sure someone looks again when the next retry falls due soon. */
export async function runDeliveries(ctx: AppContext): Promise<void> {
  await deliverDue(ctx);
  const dueIn = await nextDueInMs(ctx.db);
  if (dueIn !== undefined && dueIn < FOLLOW_UP_WITHIN_MS) {
    await ctx.queue.send(ctx.db, 'outbound_deliver', {}, { startAfterSeconds: Math.max(1, Math.ceil(dueIn / 1000)) });
  }
}

const runners = new WeakMap<AppContext, RelayRunner>();

export async function registerOutboundJobs(ctx: AppContext): Promise<void> {
  const runner = createRelayRunner(ctx);
  runners.set(ctx, runner);
  await ctx.queue.work('outbound_relay', { batchSize: 1 }, async () => {
    await runner.run();
  });
  await ctx.queue.work('outbound_deliver', { batchSize: 1 }, async () => runDeliveries(ctx));
  await ctx.queue.schedule('outbound_relay', '* * * * *', {});
  await ctx.queue.schedule('outbound_deliver', '* * * * *', {});
  runner.start(ctx.config.outbound.relayIntervalMs);
}

/** Stops the relay loop and waits for a batch in flight, before the database closes. */
export async function stopOutbound(ctx: AppContext): Promise<void> {
  await runners.get(ctx)?.stop();
}
