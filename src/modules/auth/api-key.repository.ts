import type { Executor } from '../../platform/db/types.js';
import { generateApiKey, type Role } from './api-key.js';

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const columns = `id, tenant_id AS "tenantId", name, role, key_prefix AS prefix, created_at AS "createdAt", revoked_at AS "revokedAt"`;

export async function createApiKey(ex: Executor, tenantId: string, role: Role, name: string): Promise<{ key: string; record: ApiKeyRecord }> {
  const { key, prefix, hash } = generateApiKey();
  const { rows } = await ex.query<ApiKeyRecord>(
    `INSERT INTO api_keys (tenant_id, name, role, key_prefix, key_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${columns}`,
    [tenantId, name, role, prefix, hash],
  );
  return { key, record: rows[0]! };
}

/** The live key of a secret's hash (hashApiKey): unknown and revoked keys both come back undefined. */
export async function findActiveKeyByHash(ex: Executor, hash: string): Promise<ApiKeyRecord | undefined> {
  const { rows } = await ex.query<ApiKeyRecord>(`SELECT ${columns} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [hash], {
    prepareAs: 'auth.key',
  });
  return rows[0];
}

export async function listApiKeys(ex: Executor, tenantId: string): Promise<ApiKeyRecord[]> {
  return (await ex.query<ApiKeyRecord>(`SELECT ${columns} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at`, [tenantId])).rows;
}

export async function revokeApiKey(ex: Executor, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await ex.query(`UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`, [
    tenantId,
    id,
  ]);
  return rowCount > 0;
}

export async function countApiKeys(ex: Executor, tenantId: string): Promise<number> {
  const { rows } = await ex.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1`, [tenantId]);
  return rows[0]!.n;
}
