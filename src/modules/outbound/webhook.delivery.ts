import { performance } from 'node:perf_hooks';
import type { AppContext } from '../../context.js';
import { signPayload } from '../payments/gateway/index.js';
import { toEnvelope } from './envelope.js';
import { loadEventsById } from './outbox.repository.js';
import { claimDue, recordAttempts, type AttemptOutcome, type ClaimedDelivery } from './webhook.repository.js';
import { retryDelayMs, subscriptionSecret } from './webhook.secret.js';

/** Same scheme as the gateway's webhooks we receive: `t=<unix s>,v1=<hex HMAC-SHA256("<t>.<body>")>`. */
export const OUTBOUND_SIGNATURE_HEADER = 'Ordersys-Signature';

export interface DeliverOptions {
  /** Deliveries claimed per round. */
  batchSize?: number;
  /** Stop starting new rounds after this long (the job then re-enqueues itself). */
  budgetMs?: number;
}

export interface DeliverResult {
  attempted: number;
  delivered: number;
}

/*
 * Does the HTTP for due deliveries, round after round: claim (short transaction), send with at
 * most `webhookConcurrency` requests in flight and a per-request timeout, record every attempt
 * (short transaction). Order processing never waits on this: the relay only inserted rows.
 */
export async function deliverDue(ctx: AppContext, opts: DeliverOptions = {}): Promise<DeliverResult> {
  const { outbound } = ctx.config;
  const batchSize = opts.batchSize ?? 100;
  const deadline = Date.now() + (opts.budgetMs ?? 60_000);
  // A lease outlives the slowest request: a claimed row is not claimed again while in flight.
  const leaseMs = outbound.webhookTimeoutMs + 30_000;
  const result: DeliverResult = { attempted: 0, delivered: 0 };
  while (Date.now() < deadline) {
    const claimed = await ctx.db.transaction((tx) => claimDue(tx, batchSize, leaseMs));
    if (claimed.length === 0) break;
    const outcomes = await sendAll(ctx, claimed);
    await ctx.db.transaction((tx) => recordAttempts(tx, outcomes));
    result.attempted += outcomes.length;
    result.delivered += outcomes.filter((o) => o.ok).length;
  }
  return result;
}

async function sendAll(ctx: AppContext, claimed: readonly ClaimedDelivery[]): Promise<AttemptOutcome[]> {
  const events = new Map((await loadEventsById(ctx.db, [...new Set(claimed.map((c) => c.eventId))])).map((e) => [e.id, e]));
  const outcomes: AttemptOutcome[] = [];
  let next = 0;
  const lane = async () => {
    while (next < claimed.length) {
      const delivery = claimed[next++]!;
      const event = events.get(delivery.eventId);
      const body = event ? JSON.stringify(toEnvelope(event)) : undefined;
      outcomes.push(body ? await sendOne(ctx, delivery, body) : failed(ctx, delivery, null, 0, 'event no longer exists'));
    }
  };
  await Promise.all(Array.from({ length: Math.min(ctx.config.outbound.webhookConcurrency, claimed.length) }, lane));
  return outcomes;
}

async function sendOne(ctx: AppContext, delivery: ClaimedDelivery, body: string): Promise<AttemptOutcome> {
  const secret = subscriptionSecret(ctx.config.secret, delivery.subscriptionId, delivery.secretSalt);
  const started = performance.now();
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'ordersys-webhooks/1',
        [OUTBOUND_SIGNATURE_HEADER]: signPayload(secret, body),
        'Ordersys-Event-Id': `evt_${delivery.eventId}`,
        'Ordersys-Delivery-Attempt': String(delivery.attempt),
      },
      body,
      // A redirect is an answer we do not follow: the subscriber must give the final URL.
      redirect: 'manual',
      signal: AbortSignal.timeout(ctx.config.outbound.webhookTimeoutMs),
    });
    // Drain without keeping the body: the socket goes back to the pool, a huge reply costs nothing.
    await response.body?.cancel().catch(() => undefined);
    const latencyMs = performance.now() - started;
    if (response.status >= 200 && response.status < 300) {
      return { deliveryId: delivery.id, attempt: delivery.attempt, ok: true, statusCode: response.status, latencyMs, error: null, retryInMs: 0 };
    }
    return failed(ctx, delivery, response.status, latencyMs, `subscriber answered ${response.status}`);
  } catch (err) {
    const e = err as Error;
    const reason = e.name === 'TimeoutError' ? `no answer within ${ctx.config.outbound.webhookTimeoutMs} ms` : (e.cause as Error | undefined)?.message ?? e.message;
    return failed(ctx, delivery, null, performance.now() - started, reason.slice(0, 500));
  }
}

function failed(ctx: AppContext, delivery: ClaimedDelivery, statusCode: number | null, latencyMs: number, error: string): AttemptOutcome {
  const { retryBaseMs, retryMaxMs } = ctx.config.outbound;
  return { deliveryId: delivery.id, attempt: delivery.attempt, ok: false, statusCode, latencyMs, error, retryInMs: retryDelayMs(delivery.attempt, retryBaseMs, retryMaxMs) };
}
