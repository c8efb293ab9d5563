import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';

export interface NatsSettings {
  url: string;
  stream: string;
  subjectPrefix: string;
}

const NS_PER_MS = 1_000_000;
/** JetStream drops a message whose Nats-Msg-Id it saw within this window. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;
const MAX_AGE_MS = 7 * 24 * 3_600_000;

async function ensureStream(nc: NatsConnection, settings: NatsSettings): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(settings.stream);
    return;
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
  }
  try {
    await jsm.streams.add({
      name: settings.stream,
      subjects: [`${settings.subjectPrefix}.>`],
      duplicate_window: DUPLICATE_WINDOW_MS * NS_PER_MS,
      max_age: MAX_AGE_MS * NS_PER_MS,
    });
  } catch (err) {
    // Another process created it between our look and our add.
    if (!/already in use/i.test((err as Error).message)) throw err;
  }
}

/** One connection per process, opened on first use; the stream is created if it is missing. */
export class NatsPublisher {
  private connecting: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;

  constructor(private readonly settings: NatsSettings) {}

  private open() {
    return (this.connecting ??= (async () => {
      const nc = await connect({ servers: this.settings.url, name: 'ordersys-relay', maxReconnectAttempts: -1 });
      try {
        await ensureStream(nc, this.settings);
      } catch (err) {
        await nc.close();
        throw err;
      }
      return { nc, js: jetstream(nc) };
    })().catch((err) => {
      this.connecting = undefined;
      throw err;
    }));
  }

  /** Resolves once the stream stored the message (or recognised it as a duplicate). */
  async publish(subject: string, payload: string, msgId: string): Promise<void> {
    const { js } = await this.open();
    await js.publish(subject, payload, { msgID: msgId, timeout: 5_000 });
  }

  async close(): Promise<void> {
    const pending = this.connecting;
    this.connecting = undefined;
    if (pending) await (await pending.catch(() => undefined))?.nc.close();
  }
}

export interface FollowOptions {
  /** NATS subject filter, e.g. `ordersys.demo.order.*`. */
  filter: string;
  /** From the first message still in the stream instead of from new ones. */
  fromStart?: boolean;
  signal?: AbortSignal;
}

/*
 * Follows the stream with an ordered consumer: ephemeral, flow-controlled, recreated by the client
 * after a gap, so it sees each stored message once and in stream order.
 */
export async function followStream(settings: NatsSettings, opts: FollowOptions, onMessage: (payload: string, subject: string) => boolean | void): Promise<void> {
  const nc = await connect({ servers: settings.url, name: 'ordersys-tail' });
  try {
    await ensureStream(nc, settings);
    const js = jetstream(nc);
    const consumer = await js.consumers.get(settings.stream, {
      // A string (not an array) becomes filter_subject, which servers before 2.10 understand.
      filter_subjects: opts.filter,
      deliver_policy: opts.fromStart ? DeliverPolicy.All : DeliverPolicy.New,
    });
    const messages = await consumer.consume();
    const stop = () => void messages.close();
    opts.signal?.addEventListener('abort', stop, { once: true });
    if (opts.signal?.aborted) stop();
    for await (const m of messages) {
      if (onMessage(m.string(), m.subject) === false) break;
    }
    opts.signal?.removeEventListener('abort', stop);
  } finally {
    await nc.close();
  }
}
