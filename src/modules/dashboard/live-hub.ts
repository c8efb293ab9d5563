import type { Redis } from 'ioredis';
import type { Database } from '../../platform/db/types.js';
import type { Logger } from '../../platform/logger.js';
import { createRedis } from '../../platform/redis.js';
import { eventsChannel } from '../analytics/kpi.store.js';
import { lastEventId } from './dashboard.repository.js';

export type LiveListener = (event: 'changed' | 'kpi', data: unknown) => void;

interface Feed {
  listeners: Set<LiveListener>;
  lastEventId: number;
}

export interface LiveHubDeps {
  db: Database;
  logger: Logger;
  redisUrl: string | undefined;
}

/*
 * What feeds GET /dashboard/events, shared by every open stream of this process:
 * - a poll, once per interval and per tenant with a stream open, of the tenant's newest order
 *   event id (one index step); when it moves, `changed` goes out and pages refetch. It needs no
 *   trigger and works the same on PGlite and on PostgreSQL with any number of API processes.
 * - with Redis, a subscription to the analytics channel ordersys:events:{tenant}: the projector
 *   publishes `{type:'kpi', days}` after each chunk it applied, so KPIs read from Redis are
 *   refetched once they include the new events, not merely when the events exist.
 * Nothing is polled or subscribed while no stream is open.
 */
export class LiveHub {
  private readonly feeds = new Map<string, Feed>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private subscriber: Redis | undefined;
  private subscriberReady: Promise<Redis> | undefined;
  private closed = false;
  private warnedAt = 0;

  constructor(
    private readonly deps: LiveHubDeps,
    private readonly pollMs = 1000,
  ) {}

  /** Starts delivering the tenant's changes to the listener; call the result to stop. */
  async subscribe(tenantId: string, listener: LiveListener): Promise<() => void> {
    if (this.closed) throw new Error('live hub is closed');
    let feed = this.feeds.get(tenantId);
    if (!feed) {
      feed = { listeners: new Set(), lastEventId: await lastEventId(this.deps.db, tenantId) };
      // Another stream of the same tenant may have created it while we awaited.
      feed = this.feeds.get(tenantId) ?? (this.feeds.set(tenantId, feed), feed);
      await this.redisSubscribe(tenantId);
    }
    feed.listeners.add(listener);
    this.timer ??= setInterval(() => void this.poll(), this.pollMs).unref();
    return () => this.unsubscribe(tenantId, listener);
  }

  get streams(): number {
    let n = 0;
    for (const feed of this.feeds.values()) n += feed.listeners.size;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.feeds.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private unsubscribe(tenantId: string, listener: LiveListener): void {
    const feed = this.feeds.get(tenantId);
    if (!feed) return;
    feed.listeners.delete(listener);
    if (feed.listeners.size > 0) return;
    this.feeds.delete(tenantId);
    this.subscriber?.unsubscribe(eventsChannel(tenantId)).catch(() => undefined);
    if (this.feeds.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private emit(feed: Feed, event: 'changed' | 'kpi', data: unknown): void {
    for (const listener of feed.listeners) {
      try {
        listener(event, data);
      } catch (err) {
        this.warn(err, 'a live stream listener failed');
      }
    }
  }

  /** One poll at a time: on PGlite a long import transaction makes the query wait. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [tenantId, feed] of [...this.feeds]) {
        const id = await lastEventId(this.deps.db, tenantId);
        if (id !== feed.lastEventId && this.feeds.get(tenantId) === feed) {
          feed.lastEventId = id;
          this.emit(feed, 'changed', { lastEventId: id });
        }
      }
    } catch (err) {
      if (!this.closed) this.warn(err, 'dashboard live poll failed; retrying');
    } finally {
      this.polling = false;
    }
  }

  private async redisSubscribe(tenantId: string): Promise<void> {
    const url = this.deps.redisUrl;
    if (!url) return;
    try {
      this.subscriberReady ??= (async () => {
        const sub = createRedis(url, this.deps.logger, 'ordersys-dashboard');
        this.subscriber = sub;
        sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
        await sub.connect();
        return sub;
      })();
      await (await this.subscriberReady).subscribe(eventsChannel(tenantId));
    } catch (err) {
      // Not connected yet: the next stream to open tries again on the same (reconnecting) client.
      if (this.subscriber && !this.closed) this.subscriberReady = Promise.resolve(this.subscriber);
      // The poll still delivers `changed`: only the early KPI signal is lost.
      this.warn(err, 'dashboard could not subscribe to Redis; live updates come from the poll only');
    }
  }

  private onMessage(channel: string, message: string): void {
    for (const [tenantId, feed] of this.feeds) {
      if (eventsChannel(tenantId) !== channel) continue;
      let data: unknown;
      try {
        data = JSON.parse(message);
      } catch {
        data = { type: 'kpi' };
      }
      this.emit(feed, 'kpi', data);
    }
  }

  private warn(err: unknown, msg: string): void {
    if (Date.now() - this.warnedAt < 60_000) return;
    this.warnedAt = Date.now();
    this.deps.logger.warn({ err: (err as Error).message }, msg);
  }
}
