import type { AppContext } from '../../context.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { subjectOf, toEnvelope, type Envelope } from './envelope.js';
import { followStream } from './nats.js';
import { latestPosition, loadEvents, positionsAfter, type Position } from './outbox.repository.js';
import { safeHorizon } from '../../platform/db/horizon.js';

export interface TailOptions {
  type?: string;
  tenant?: string;
  /** From the oldest event (stream start, or the first order_event) instead of new ones only. */
  fromStart?: boolean;
  /** Return after this many events. */
  max?: number;
  signal?: AbortSignal;
  /** Database polling interval when there is no NATS. */
  pollMs?: number;
}

/** Where the tail reads: `nats` (the stream), or `database` (order_events, when NATS_URL is unset). */
export function tailSource(ctx: AppContext): 'nats' | 'database' {
  return ctx.config.outbound.natsUrl ? 'nats' : 'database';
}

/** Follows published events, calling `onEvent` for each match; returns when max is reached or signal aborts. */
export async function tailEvents(ctx: AppContext, opts: TailOptions, onEvent: (e: Envelope) => void): Promise<void> {
  const { natsUrl, natsStream, natsSubjectPrefix } = ctx.config.outbound;
  let seen = 0;
  const take = (e: Envelope): boolean => {
    if (opts.type && e.type !== opts.type) return true;
    if (opts.tenant && e.tenant !== opts.tenant) return true;
    onEvent(e);
    seen += 1;
    return opts.max === undefined || seen < opts.max;
  };
  if (natsUrl) {
    const [family, name] = opts.type ? opts.type.split('.') : ['*', '*'];
    const filter = opts.type ? subjectOf(natsSubjectPrefix, { tenant: opts.tenant ?? '*', type: `${family}.${name}` }) : `${natsSubjectPrefix}.${opts.tenant ?? '*'}.>`;
    await followStream({ url: natsUrl, stream: natsStream, subjectPrefix: natsSubjectPrefix }, { filter, fromStart: opts.fromStart, signal: opts.signal }, (payload) =>
      take(JSON.parse(payload) as Envelope),
    );
    return;
  }
  // Without NATS: poll the outbox itself, below the safe horizon, as the relay reads it.
  let after: Position = opts.fromStart ? { xid: '0', id: 0 } : await latestPosition(ctx.db);
  while (!opts.signal?.aborted) {
    const horizon = await safeHorizon(ctx.db);
    const positions = await positionsAfter(ctx.db, after, horizon, 500);
    if (positions.length > 0) {
      const end = positions[positions.length - 1]!;
      // (xid, id) order, as the positions came: the tail is a debugging view, not the relay.
      const byId = new Map((await loadEvents(ctx.db, after, end)).map((e) => [e.id, e]));
      after = end;
      for (const p of positions) {
        const row = byId.get(p.id);
        if (row && !take(toEnvelope(row))) return;
      }
      continue;
    }
    await sleep(opts.pollMs ?? 500, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}
