import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Executor } from '../platform/db/types.js';
import { DomainError } from '../platform/errors.js';
import { tenantOf } from './auth.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** One use of an Idempotency-Key: the key, where it applies, and the hash of the request it came with. */
export interface KeyClaim {
  tenantId: string;
  scope: string;
  key: string;
  hash: string;
}

/** What a key already used answers: the stored response, or `mismatch` for another request. */
export type PriorUse = StoredResponse | 'mismatch';

/** The request hash every user of a scope must compute the same way (HTTP and CLI share keys). */
export function requestHash(params: unknown, body: unknown): string {
  return createHash('sha256').update(JSON.stringify({ params, body })).digest('hex');
}

const id = (c: Pick<KeyClaim, 'tenantId' | 'scope' | 'key'>) => `${c.tenantId}\u0000${c.scope}\u0000${c.key}`;

/*
 * The core, without Fastify: idempotent() below, the CLI refund and the batched POST /orders all
 * go through claimKeys + settleKeys inside the transaction of the effect.
 *
 * claimKeys inserts the key rows first. A concurrent transaction holding the same key makes the
 * insert wait until it ends; then the key is either free (it failed and stored nothing) or used
 * (its response is read here). Claims are inserted sorted, so two batches claiming overlapping
 * keys wait on each other in one order and never deadlock. A claim list must not hold the same
 * key twice: the second would read the first's unfinished row.
 */
export async function claimKeys(tx: Executor, claims: readonly KeyClaim[]): Promise<Map<KeyClaim, PriorUse>> {
  const prior = new Map<KeyClaim, PriorUse>();
  if (claims.length === 0) return prior;
  const sorted = [...claims].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  const { rows: fresh } = await tx.query<{ tenantId: string; scope: string; key: string }>(
    `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
     ON CONFLICT DO NOTHING
     RETURNING tenant_id AS "tenantId", scope, key`,
    [sorted.map((c) => c.tenantId), sorted.map((c) => c.scope), sorted.map((c) => c.key), sorted.map((c) => c.hash)],
    { prepareAs: 'idempotency.claim' },
  );
  if (fresh.length === claims.length) return prior;
  const claimed = new Set(fresh.map(id));
  const used = claims.filter((c) => !claimed.has(id(c)));
  const { rows } = await tx.query<{ tenantId: string; scope: string; key: string; requestHash: string; statusCode: number; response: unknown }>(
    `SELECT k.tenant_id AS "tenantId", k.scope, k.key, k.request_hash AS "requestHash", k.status_code AS "statusCode", k.response
     FROM idempotency_keys k JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS u(t, s, k2)
       ON k.tenant_id = u.t AND k.scope = u.s AND k.key = u.k2`,
    [used.map((c) => c.tenantId), used.map((c) => c.scope), used.map((c) => c.key)],
  );
  const stored = new Map(rows.map((r) => [id(r), r]));
  const vanished: KeyClaim[] = [];
  for (const c of used) {
    const row = stored.get(id(c));
    // Deleted between the insert and this read (the retention job, or a refused claim released):
    // the key is free again, so it is claimed afresh.
    if (!row) vanished.push(c);
    else prior.set(c, row.requestHash === c.hash ? { status: row.statusCode, body: row.response } : 'mismatch');
  }
  if (vanished.length > 0) for (const [c, use] of await claimKeys(tx, vanished)) prior.set(c, use);
  return prior;
}

/**
 * Stores the responses of claims whose effect is done, and releases the claims whose request was
 * refused (a refused request stores nothing: it may be retried with the same key). One statement.
 */
export async function settleKeys(tx: Executor, done: readonly { claim: KeyClaim; response: StoredResponse }[], refused: readonly KeyClaim[] = []): Promise<void> {
  if (done.length === 0 && refused.length === 0) return;
  await tx.query(
    `WITH released AS (
       DELETE FROM idempotency_keys k USING unnest($6::uuid[], $7::text[], $8::text[]) AS r(t, s, k2)
       WHERE k.tenant_id = r.t AND k.scope = r.s AND k.key = r.k2
     )
     UPDATE idempotency_keys k SET status_code = d.status, response = d.body
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::jsonb[]) AS d(t, s, k2, status, body)
     WHERE k.tenant_id = d.t AND k.scope = d.s AND k.key = d.k2`,
    [
      done.map((d) => d.claim.tenantId),
      done.map((d) => d.claim.scope),
      done.map((d) => d.claim.key),
      done.map((d) => d.response.status),
      done.map((d) => JSON.stringify(d.response.body)),
      refused.map((c) => c.tenantId),
      refused.map((c) => c.scope),
      refused.map((c) => c.key),
    ],
    { prepareAs: 'idempotency.settle' },
  );
}

/**
 * Runs `effect` at most once per key, in `tx`: the first use stores its response, a repeat with
 * the same request returns it (replayed), a repeat with another request is an
 * IDEMPOTENCY_MISMATCH (`mismatch` words it for the caller: header or CLI flag). An effect that
 * throws stores nothing, as the transaction rolls back.
 */
export async function runOnce<R extends StoredResponse>(
  tx: Executor,
  claim: KeyClaim,
  effect: () => Promise<R>,
  mismatch: string,
): Promise<{ status: number; body: R['body']; replayed: boolean }> {
  const prior = (await claimKeys(tx, [claim])).get(claim);
  if (prior === 'mismatch') throw new DomainError('IDEMPOTENCY_MISMATCH', mismatch);
  if (prior) return { status: prior.status, body: prior.body as R['body'], replayed: true };
  const fresh = await effect();
  await settleKeys(tx, [{ claim, response: fresh }]);
  return { status: fresh.status, body: fresh.body, replayed: false };
}

/** The Idempotency-Key header, checked; undefined when absent (refused when the route requires one). */
export function keyClaimOf(req: FastifyRequest, opts: { required: boolean; scope: string }): KeyClaim | undefined {
  const header = req.headers['idempotency-key'];
  const key = typeof header === 'string' ? header.trim() : undefined;
  if (key === '') throw new DomainError('INVALID_DATA', 'headers.idempotency-key: must not be empty; send a unique string up to 255 characters, or no header.');
  if (!key) {
    if (opts.required) throw new DomainError('INVALID_DATA', 'Idempotency-Key header is required on this route (any unique string up to 255 characters).');
    return undefined;
  }
  if (key.length > 255) throw new DomainError('INVALID_DATA', 'Idempotency-Key must be at most 255 characters.');
  return { tenantId: tenantOf(req), scope: opts.scope, key, hash: requestHash(req.params, req.body) };
}

/**
 * `body` plus `secrets` for the client, this once: what idempotent() stores for replays
 * (JSON.stringify -> toJSON) is `body` alone, so a secret is neither kept in the database nor
 * shown again to whoever replays the key. The reply is serialised from the schema's parse, which
 * does not copy toJSON, so it carries the secrets.
 */
export function shownOnce<T extends object, S extends object>(body: T, secrets: S): T & S {
  const stored = { ...body };
  Object.defineProperty(body, 'toJSON', { enumerable: false, value: () => stored });
  return Object.assign(body, secrets);
}

export const headerMismatch = (key: string) => `Idempotency-Key "${key}" was already used with a different request; use a new key.`;

/** Sends an answer, marking replays with the Idempotent-Replayed header. */
export function sendStored(reply: FastifyReply, res: StoredResponse & { replayed?: boolean }): FastifyReply {
  if (res.replayed) reply.header('Idempotent-Replayed', 'true');
  return reply.code(res.status).send(res.body);
}

/**
 * Runs a creating POST at most once per Idempotency-Key. The key row is inserted in the same
 * transaction as the effect: a concurrent request with the same key waits on that row, then
 * reads the stored response. The same key with a different body is a 422; a request that fails
 * stores nothing, so it can be retried with the same key.
 */
export async function idempotent(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  opts: { required: boolean; scope: string },
  handler: (tx: Executor) => Promise<StoredResponse>,
): Promise<FastifyReply> {
  const claim = keyClaimOf(req, opts);
  if (!claim) return sendStored(reply, await ctx.db.transaction(handler));
  return sendStored(reply, await ctx.db.transaction((tx) => runOnce(tx, claim, () => handler(tx), headerMismatch(claim.key))));
}
