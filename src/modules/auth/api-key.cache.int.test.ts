import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey, newTenant } from '../../../test/factories.js';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { ApiKeyCache } from './api-key.cache.js';
import { hashApiKey } from './api-key.js';

describe(ApiKeyCache.name, () => {
  let t: TestDatabase;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestDatabase();
    tenant = await newTenant(t.db);
  });
  afterAll(() => t.close());

  const revokeElsewhere = (key: string) => t.db.query(`UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1`, [hashApiKey(key)]);

  it('trusts a verified key for its TTL only: a key revoked by another process is refused once it expires', async () => {
    let now = 1_000_000; // a clock of our own: a loaded machine cannot stretch the TTL under the test
    const cache = new ApiKeyCache(100, () => now);
    const key = await newApiKey(t.db, tenant, 'viewer');
    expect((await cache.find(t.db, key))?.role).toBe('viewer');
    await revokeElsewhere(key);
    now += 99;
    expect((await cache.find(t.db, key))?.role).toBe('viewer');
    now += 2;
    expect(await cache.find(t.db, key)).toBeUndefined();
    expect(await cache.find(t.db, key)).toBeUndefined();
  });

  it('refuses a key revoked in this process at once', async () => {
    const cache = new ApiKeyCache(60_000);
    const key = await newApiKey(t.db, tenant, 'operator');
    const record = (await cache.find(t.db, key))!;
    await revokeElsewhere(key);
    cache.forget(record.id);
    expect(await cache.find(t.db, key)).toBeUndefined();
  });

  it('never remembers a key it did not find: one created since is accepted at once', async () => {
    const cache = new ApiKeyCache(60_000);
    const key = `osk_later_${Date.now()}`;
    expect(await cache.find(t.db, key)).toBeUndefined();
    await t.db.query(`INSERT INTO api_keys (tenant_id, name, role, key_prefix, key_hash) VALUES ($1, 'later', 'admin', 'later', $2)`, [tenant.id, hashApiKey(key)]);
    expect((await cache.find(t.db, key))?.role).toBe('admin');
  });
});
