import type { Executor } from '../../platform/db/types.js';

export interface Subscription {
  id: string;
  tenantId: string;
  url: string;
  events: string[];
  secretSalt: string;
  createdAt: Date;
}

const subscriptionColumns = `id, tenant_id AS "tenantId", url, events, secret_salt AS "secretSalt", created_at AS "createdAt"`;

export async function insertSubscription(tx: Executor, tenantId: string, url: string, events: readonly string[], salt: string): Promise<Subscription> {
  const { rows } = await tx.query<Subscription>(
    `INSERT INTO webhook_subscriptions (tenant_id, url, events, secret_salt) VALUES ($1, $2, $3::text[], $4) RETURNING ${subscriptionColumns}`,
    [tenantId, url, events, salt],
  );
  return rows[0]!;
}

export async function listSubscriptions(ex: Executor, tenantId: string): Promise<Subscription[]> {
  const { rows } = await ex.query<Subscription>(
    `SELECT ${subscriptionColumns} FROM webhook_subscriptions WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
    [tenantId],
  );
  return rows;
}

export async function findSubscription(ex: Executor, tenantId: string, id: string): Promise<Subscription | undefined> {
  const { rows } = await ex.query<Subscription>(
    `SELECT ${subscriptionColumns} FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`,
    [tenantId, id],
  );
  return rows[0];
}

/** Soft delete (its delivery history stays readable by id); what was still pending is failed. */
export async function deleteSubscription(tx: Executor, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE webhook_subscriptions SET deleted_at = now() WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`,
    [tenantId, id],
  );
  if (rowCount === 0) return false;
  await tx.query(
    `UPDATE webhook_deliveries SET status = 'failed', last_error = 'subscription deleted', updated_at = now()
     WHERE subscription_id = $1 AND status = 'pending'`,
    [id],
  );
  return true;
}

/**
 * One set-based insert per relay batch: a row for every (live subscription, event) that matches
 * by tenant and type, for events that happened after the subscription was made. UNIQUE
 * (subscription_id, event_id) makes a republished batch add nothing.
 */
export async function hasActiveSubscriptions(ex: Executor): Promise<boolean> {
  const { rows } = await ex.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE deleted_at IS NULL) AS any`);
  return rows[0]!.any;
}

export async function insertDeliveries(tx: Executor, eventIds: readonly number[], publicTypes: readonly string[], retryForMs: number): Promise<number> {
  if (eventIds.length === 0) return 0;
  const { rowCount } = await tx.query(
    `INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, event_type, order_id, give_up_at)
     SELECT e.tenant_id, s.id, e.id, b.type, e.order_id, now() + $3 * interval '1 millisecond'
     FROM unnest($1::bigint[], $2::text[]) AS b(id, type)
     JOIN order_events e ON e.id = b.id
     JOIN webhook_subscriptions s ON s.tenant_id = e.tenant_id AND s.deleted_at IS NULL
       AND s.created_at <= e.created_at AND ('*' = ANY (s.events) OR b.type = ANY (s.events))
     ORDER BY e.id, s.id
     ON CONFLICT (subscription_id, event_id) DO NOTHING`,
    [eventIds, publicTypes, retryForMs],
  );
  return rowCount;
}

export interface ClaimedDelivery {
  id: number;
  subscriptionId: string;
  eventId: number;
  attempt: number;
  url: string;
  secretSalt: string;
  giveUpAt: Date;
}

/*
 * Claims due deliveries for one round of HTTP, in a short transaction of its own (no transaction
 * stays open while a subscriber is slow): the claim counts the attempt and leases the row until
 * `leaseMs` from now, so a worker that dies mid-request leaves it to be retried after the lease.
 * A delivery waits while an earlier event of the same order for the same subscription is still
 * pending: a subscriber sees each order's events in order.
 */
export async function claimDue(tx: Executor, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await tx.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT d.id FROM webhook_deliveries d
       WHERE d.status = 'pending' AND d.next_attempt_at <= now()
         AND NOT EXISTS (
           SELECT 1 FROM webhook_deliveries p
           WHERE p.subscription_id = d.subscription_id AND p.order_id = d.order_id
             AND p.status = 'pending' AND p.event_id < d.event_id)
       ORDER BY d.next_attempt_at, d.id
       LIMIT $1
       FOR UPDATE OF d SKIP LOCKED
     )
     UPDATE webhook_deliveries d SET attempts = d.attempts + 1, updated_at = now(),
       next_attempt_at = now() + $2 * interval '1 millisecond'
     FROM due, webhook_subscriptions s
     WHERE d.id = due.id AND s.id = d.subscription_id
     RETURNING d.id, d.subscription_id AS "subscriptionId", d.event_id AS "eventId", d.attempts AS attempt,
       s.url, s.secret_salt AS "secretSalt", d.give_up_at AS "giveUpAt"`,
    [limit, leaseMs],
  );
  return rows;
}

export interface AttemptOutcome {
  deliveryId: number;
  attempt: number;
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** When not ok: wait this long before the next attempt (past give_up_at: failed for good). */
  retryInMs: number;
}

/** Records a round of attempts in one statement each: the attempt rows and the deliveries' new state. */
export async function recordAttempts(tx: Executor, outcomes: readonly AttemptOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const params = [
    outcomes.map((o) => o.deliveryId),
    outcomes.map((o) => o.attempt),
    outcomes.map((o) => o.ok),
    outcomes.map((o) => o.statusCode),
    outcomes.map((o) => Math.max(0, Math.round(o.latencyMs))),
    outcomes.map((o) => o.error),
    outcomes.map((o) => o.retryInMs),
  ];
  const outcome = `unnest($1::bigint[], $2::int[], $3::boolean[], $4::int[], $5::int[], $6::text[], $7::bigint[])
                   AS o(id, attempt, ok, status_code, latency_ms, error, retry_in_ms)`;
  await tx.query(
    `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, status_code, latency_ms, error)
     SELECT id, attempt, status_code, latency_ms, error FROM ${outcome}`,
    params,
  );
  // Only a still-pending row moves: a subscription deleted meanwhile stays failed.
  await tx.query(
    `UPDATE webhook_deliveries d SET
       status = CASE WHEN o.ok THEN 'delivered'
                     WHEN now() + o.retry_in_ms * interval '1 millisecond' > d.give_up_at THEN 'failed'
                     ELSE 'pending' END,
       delivered_at = CASE WHEN o.ok THEN now() ELSE d.delivered_at END,
       next_attempt_at = CASE WHEN o.ok THEN d.next_attempt_at ELSE now() + o.retry_in_ms * interval '1 millisecond' END,
       last_status_code = o.status_code, last_error = o.error, updated_at = now()
     FROM ${outcome}
     WHERE d.id = o.id AND d.status = 'pending'`,
    params,
  );
}

export interface DeliveryRow {
  id: number;
  eventId: number;
  eventType: string;
  orderId: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date | null;
  giveUpAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  attemptLog: { attempt: number; statusCode: number | null; latencyMs: number; error: string | null; attemptedAt: string }[];
}

/** Newest first, each with every attempt; `before` pages by delivery id. */
export async function listDeliveries(ex: Executor, subscriptionId: string, opts: { limit: number; before?: number; status?: string }): Promise<DeliveryRow[]> {
  const { rows } = await ex.query<DeliveryRow>(
    `SELECT d.id, d.event_id AS "eventId", d.event_type AS "eventType", d.order_id AS "orderId", d.status, d.attempts,
       CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS "nextAttemptAt", d.give_up_at AS "giveUpAt",
       d.last_status_code AS "lastStatusCode", d.last_error AS "lastError", d.created_at AS "createdAt", d.delivered_at AS "deliveredAt",
       coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'statusCode', a.status_code, 'latencyMs', a.latency_ms,
                   'error', a.error, 'attemptedAt', a.attempted_at) ORDER BY a.id)
                 FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id), '[]'::json) AS "attemptLog"
     FROM webhook_deliveries d
     WHERE d.subscription_id = $1 AND ($2::bigint IS NULL OR d.id < $2) AND ($3::text IS NULL OR d.status = $3)
     ORDER BY d.id DESC LIMIT $4`,
    [subscriptionId, opts.before ?? null, opts.status ?? null, opts.limit],
  );
  return rows;
}

/** Due again now, with a fresh retry window; returns false if the delivery is not this subscription's. */
export async function scheduleRedelivery(tx: Executor, subscriptionId: string, deliveryId: number, retryForMs: number): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), updated_at = now(),
       give_up_at = now() + $3 * interval '1 millisecond'
     WHERE subscription_id = $1 AND id = $2`,
    [subscriptionId, deliveryId, retryForMs],
  );
  return rowCount === 1;
}

/**
 * Milliseconds until the earliest sendable delivery is due (0: now; one waiting behind its order's
 * earlier event does not count); undefined when none is pending. The clamp to 0 is done here:
 * greatest(0, NULL) is 0 in SQL, which once made "nothing pending" read as "due now", and every
 * delivery run enqueued another for ever.
 */
export async function nextDueInMs(ex: Executor): Promise<number | undefined> {
  const { rows } = await ex.query<{ ms: string | number | null }>(
    // The due index in order, stopping at the first sendable delivery (min() checked every
    // pending one: 107 ms behind a 58,000-delivery backlog, after every delivery run).
    `SELECT (extract(epoch FROM d.next_attempt_at - now()) * 1000)::bigint AS ms
     FROM webhook_deliveries d
     WHERE d.status = 'pending'
       AND NOT EXISTS (
         SELECT 1 FROM webhook_deliveries p
         WHERE p.subscription_id = d.subscription_id AND p.order_id = d.order_id
           AND p.status = 'pending' AND p.event_id < d.event_id)
     ORDER BY d.next_attempt_at LIMIT 1`,
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms));
}
