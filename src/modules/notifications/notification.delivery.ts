import type { AppContext } from '../../context.js';
import { channelsOf } from './channels/index.js';
import {
  claimNotifications,
  failExhausted,
  recordOutcomes,
  takeStranded,
  type AttemptOutcome,
  type ClaimedNotification,
} from './notification.repository.js';
import { DELIVER_BATCH } from './notification.runtime.js';
import { render } from './notification.templates.js';
import { loadViews } from './notification.views.js';

/** A claimed row belongs to its worker this long; longer than any send can take (see channel timeouts). */
const LEASE_SECONDS = 600;
const MAX_RETRY_DELAY_MS = 3_600_000;
const SEND_CONCURRENCY = 5;
/** A dispatched, due row still queued this long after has lost its job: the sweeper re-dispatches it. */
export const STRANDED_AFTER_SECONDS = 300;

/** n-th retry of a round waits base * 2^(n-1), capped at an hour. */
export function retryDelayMs(baseMs: number, attemptsUsed: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attemptsUsed - 1), MAX_RETRY_DELAY_MS);
}

export interface DeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
}

/**
 * Delivers the given notifications that are still queued and due. Safe to run twice, and with
 * other workers on the same ids: the claim (status queued + lease) lets one worker send a row,
 * and a row marked sent is never claimed again.
 *
 * At-least-once window: the send happens between the claim and the recording transaction. If the
 * provider accepted the message but the process dies (or the database is unreachable) before the
 * outcome commits, the lease runs out and the row is sent again. SMTP has no idempotency key,
 * so that rare case means a duplicate email; webhook providers get the notification id as
 * Idempotency-Key and can drop the duplicate.
 */
export async function deliverNotifications(ctx: AppContext, tenantId: string, ids: readonly string[]): Promise<DeliveryResult> {
  const { maxAttempts, retryBaseMs } = ctx.config.notify;
  await failExhausted(ctx.db, tenantId, ids, maxAttempts);
  const claimed = await claimNotifications(ctx.db, tenantId, ids, maxAttempts, LEASE_SECONDS);
  if (claimed.length === 0) return { sent: 0, retrying: 0, failed: 0 };

  const views = await loadViews(
    ctx.db,
    tenantId,
    [...new Set(claimed.flatMap((n) => (n.orderId ? [n.orderId] : [])))],
    [...new Set(claimed.flatMap((n) => (typeof n.payload.importId === 'string' ? [n.payload.importId] : [])))],
  );
  const senders = channelsOf(ctx);
  const attempt = async (n: ClaimedNotification): Promise<AttemptOutcome> => {
    const startedAt = new Date();
    try {
      const order = n.orderId ? views.orders.get(n.orderId) : undefined;
      const imp = typeof n.payload.importId === 'string' ? views.imports.get(n.payload.importId) : undefined;
      const rendered = render({ type: n.type, tenantName: views.tenantName, payload: n.payload, order, import: imp });
      const ref = await senders[n.channel].send({
        notificationId: n.id,
        tenantId,
        type: n.type,
        channel: n.channel,
        recipient: n.recipient,
        attempt: n.attempt,
        rendered,
        orderCode: order?.orderCode,
      });
      return { id: n.id, attempt: n.attempt, startedAt, ok: true, error: null, providerRef: ref, retryDelayMs: null };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const retry = n.remaining > 0 ? retryDelayMs(retryBaseMs, maxAttempts - n.remaining) : null;
      return { id: n.id, attempt: n.attempt, startedAt, ok: false, error: error.slice(0, 2000), providerRef: null, retryDelayMs: retry };
    }
  };
  const outcomes = await mapLimit(claimed, SEND_CONCURRENCY, attempt);

  // Outcomes and the retry jobs commit together: a retry exists iff its row says it is queued.
  await ctx.db.transaction(async (tx) => {
    await recordOutcomes(tx, tenantId, outcomes);
    const byDelay = new Map<number, string[]>();
    for (const o of outcomes) if (o.retryDelayMs !== null) byDelay.set(o.retryDelayMs, [...(byDelay.get(o.retryDelayMs) ?? []), o.id]);
    for (const [delay, retryIds] of byDelay) {
      await ctx.queue.sendMany(tx, 'notifications_deliver', [{ tenantId, ids: retryIds }], { startAfterSeconds: delay / 1000 });
    }
  });
  const result = { sent: 0, retrying: 0, failed: 0 };
  for (const o of outcomes) {
    if (o.ok) result.sent += 1;
    else if (o.retryDelayMs !== null) result.retrying += 1;
    else result.failed += 1;
    if (!o.ok) ctx.logger.warn({ notification: o.id, attempt: o.attempt, err: o.error, willRetry: o.retryDelayMs !== null }, 'notification attempt failed');
  }
  return result;
}

/** The sweeper: enqueues queued rows no job will pick up (see takeStranded). */
export async function dispatchStranded(ctx: AppContext): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await ctx.db.transaction(async (tx) => {
      const rows = await takeStranded(tx, STRANDED_AFTER_SECONDS, 1000);
      const byTenant = new Map<string, string[]>();
      for (const r of rows) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), r.id]);
      for (const [tenantId, ids] of byTenant) {
        const jobs = [];
        for (let i = 0; i < ids.length; i += DELIVER_BATCH) jobs.push({ tenantId, ids: ids.slice(i, i + DELIVER_BATCH) });
        await ctx.queue.sendMany(tx, 'notifications_deliver', jobs);
      }
      return rows.length;
    });
    total += n;
    if (n < 1000) return total;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}
