/**
 * One read per key at a time, and its answer shared for `ttlMs`: every open dashboard polls the
 * queue counts every 2 s, and N tabs of one tenant (and the requests that arrive while a read is
 * running) share one query instead of making N. Per process: another API process may answer with
 * counts up to ttlMs older. A failed read is not kept.
 */
export class SharedReads<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: string, read: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const entry = { at: this.now(), value: read() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.prune();
    return entry.value;
  }

  /**
   * After a write that changes what the reads would answer (a retry, a discard): the next read
   * goes to the database. A read already running may still answer those who asked before.
   */
  clear(): void {
    this.entries.clear();
  }

  /** Expired entries go, so a process that served many tenants once does not keep them all. */
  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(key);
  }
}
