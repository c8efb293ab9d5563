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

function stableHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value ?? null)).digest('hex');
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
  const tenantId = tenantOf(req);
  const header = req.headers['idempotency-key'];
  const key = typeof header === 'string' ? header.trim() : undefined;
  if (!key) {
    if (opts.required) throw new DomainError('INVALID_DATA', 'Idempotency-Key header is required on this route (any unique string up to 255 characters).');
    const res = await ctx.db.transaction(handler);
    return reply.code(res.status).send(res.body);
  }
  if (key.length > 255) throw new DomainError('INVALID_DATA', 'Idempotency-Key must be at most 255 characters.');
  const hash = stableHash({ params: req.params, body: req.body });
  const res = await ctx.db.transaction(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [tenantId, opts.scope, key, hash],
    );
    if (inserted.rowCount === 0) {
      const { rows } = await tx.query<{ requestHash: string; statusCode: number; response: unknown }>(
        `SELECT request_hash AS "requestHash", status_code AS "statusCode", response FROM idempotency_keys
         WHERE tenant_id = $1 AND scope = $2 AND key = $3`,
        [tenantId, opts.scope, key],
      );
      const prior = rows[0]!;
      if (prior.requestHash !== hash) {
        throw new DomainError('IDEMPOTENCY_MISMATCH', `Idempotency-Key "${key}" was already used with a different request; use a new key.`);
      }
      return { status: prior.statusCode, body: prior.response, replayed: true };
    }
    const fresh = await handler(tx);
    await tx.query(`UPDATE idempotency_keys SET status_code = $4, response = $5 WHERE tenant_id = $1 AND scope = $2 AND key = $3`, [
      tenantId,
      opts.scope,
      key,
      fresh.status,
      JSON.stringify(fresh.body),
    ]);
    return { ...fresh, replayed: false };
  });
  if (res.replayed) reply.header('Idempotent-Replayed', 'true');
  return reply.code(res.status).send(res.body);
}
