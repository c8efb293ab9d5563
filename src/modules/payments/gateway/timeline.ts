/*
 * Items waiting for a moment in time, with one timer for the earliest rather than one per item:
 * a 100k-row import must not create 100k timers, and clear() has exactly one thing to cancel.
 * A binary heap, because late and retried items land in the middle of the order and a sorted
 * array made that O(n) per insert. Everything due when the timer fires comes out as one group,
 * in (dueAt, insertion) order.
 */

export interface Timed {
  dueAt: number;
}

interface Entry<T> {
  item: T;
  dueAt: number;
  seq: number;
}

export class Timeline<T extends Timed> {
  private heap: Entry<T>[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(private readonly onDue: (group: T[]) => void) {}

  get size(): number {
    return this.heap.length;
  }

  add(item: T): void {
    this.heap.push({ item, dueAt: item.dueAt, seq: this.seq++ });
    this.up(this.heap.length - 1);
    this.arm();
  }

  /** Cancels the timer and returns what was still waiting. */
  clear(): T[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    return this.heap.splice(0).map((e) => e.item);
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next || (this.timer && this.timerAt <= next.dueAt)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next.dueAt;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.dueAt - Date.now()));
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = Date.now();
    const group: T[] = [];
    while (this.heap.length > 0 && this.heap[0]!.dueAt <= now) group.push(this.pop());
    this.arm(); // a timer that fired a millisecond early simply re-arms
    if (group.length > 0) this.onDue(group);
  }

  private before(a: Entry<T>, b: Entry<T>): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }

  private pop(): T {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top.item;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i]!, h[parent]!)) return;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      let best = i;
      for (const child of [2 * i + 1, 2 * i + 2]) {
        if (child < h.length && this.before(h[child]!, h[best]!)) best = child;
      }
      if (best === i) return;
      [h[i], h[best]] = [h[best]!, h[i]!];
      i = best;
    }
  }
}
