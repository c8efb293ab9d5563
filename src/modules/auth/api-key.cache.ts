import type { Executor } from '../../platform/db/types.js';
import { hashApiKey } from './api-key.js';
import { findActiveKeyByHash, type ApiKeyRecord } from './api-key.repository.js';

/** How long a verified key is trusted without asking the database again. */
export const KEY_CACHE_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * Keys found active, remembered for KEY_CACHE_MS, so that a request does not spend a database
 * round trip on its key. Revocation: DELETE /keys/:id forgets the key in the process that served
 * it at once; every other process (other API processes, `ordersys keys revoke`) sees it refused
 * within KEY_CACHE_MS. Unknown and revoked keys are never remembered: they are looked up each time.
 * Entries are keyed by the key's SHA-256, so no secret is kept.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { key: ApiKeyRecord; until: number }>();

  constructor(
    private readonly ttlMs = KEY_CACHE_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  async find(ex: Executor, presented: string): Promise<ApiKeyRecord | undefined> {
    const hash = hashApiKey(presented);
    const now = this.clock();
    const hit = this.entries.get(hash);
    if (hit && hit.until > now) return hit.key;
    const key = await findActiveKeyByHash(ex, hash);
    if (!key) {
      this.entries.delete(hash);
      return undefined;
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(hash, { key, until: now + this.ttlMs });
    return key;
  }

  forget(keyId: string): void {
    for (const [hash, entry] of this.entries) if (entry.key.id === keyId) this.entries.delete(hash);
  }
}

const caches = new WeakMap<object, ApiKeyCache>();

/** The cache of one application context (one per process; tests build several). */
export function apiKeyCache(owner: object): ApiKeyCache {
  let cache = caches.get(owner);
  if (!cache) caches.set(owner, (cache = new ApiKeyCache()));
  return cache;
}
