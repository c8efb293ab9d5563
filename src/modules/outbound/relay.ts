import type { Database, Executor } from '../../platform/db/types.js';
import type { EventRow } from './envelope.js';
import { advanceCheckpoint, findBlockers, latestPositionBelow, loadEvents, lockCheckpoint, positionsAfter, positionsBetween, readCheckpoint, type Position } from './outbox.repository.js';
import { safeHorizon } from '../../platform/db/horizon.js';

/** Where a relay publishes: inside the batch transaction (webhook rows) or over the network (NATS). */
export interface Sink {
  /** Also the name of its checkpoint row. */
  readonly name: string;
  /** Publishes in the given (id) order; throws to leave the checkpoint where it was. */
  publish(tx: Executor, events: readonly EventRow[]): Promise<void>;
  /**
   * False when nobody could receive anything now (no webhook subscription at all): the relay then
   * moves the checkpoint to the horizon without reading the events, instead of loading a
   * million envelopes during an import to publish them to no one.
   */
  hasAudience?(ex: Executor): Promise<boolean>;
}

export interface RelayOptions {
  batchSize: number;
  /** Tests throw here to kill the relay after publishing, before the checkpoint moves. */
  beforeCheckpoint?: (events: readonly EventRow[]) => void | Promise<void>;
}

export interface BatchResult {
  published: number;
  /** Another relay holds this sink's checkpoint: it is publishing; we did nothing. */
  busy: boolean;
  /** A full batch: more may be waiting. */
  more: boolean;
}

const MAX_PULL_IN_ROUNDS = 5;

export function comparePositions(a: Position, b: Position): number {
  const ax = BigInt(a.xid);
  const bx = BigInt(b.xid);
  if (ax !== bx) return ax < bx ? -1 : 1;
  return a.id - b.id;
}

/*
 * The transactional outbox relay for one sink. Each batch is one transaction that
 *  1. locks the sink's checkpoint row (SKIP LOCKED: a second relay, in this process or another,
 *     finds it taken and returns; it never publishes the batch the first one is publishing),
 *  2. reads events after the checkpoint and strictly below pg_snapshot_xmin, in (xid, id) order,
 *     so an event of a slow transaction can never be passed over,
 *  3. publishes them in id order, then moves the checkpoint.
 * A crash between 3's publish and its commit republishes the batch next time: at least once;
 * consumers dedupe on the event id (JetStream does it with Nats-Msg-Id, webhook rows by UNIQUE).
 */
export class Relay {
  constructor(
    private readonly db: Database,
    private readonly sink: Sink,
    private readonly options: RelayOptions,
  ) {}

  get name(): string {
    return this.sink.name;
  }

  async runBatch(): Promise<BatchResult> {
    // A lock-free look first: an idle relay polling every half second takes no row lock and burns no xid.
    const seen = await readCheckpoint(this.db, this.sink.name);
    if (!seen) throw new Error(`outbound_checkpoints has no row "${this.sink.name}"`);
    if ((await positionsAfter(this.db, seen, await safeHorizon(this.db), 1)).length === 0) return { published: 0, busy: false, more: false };
    return this.db.transaction(async (tx) => {
      const checkpoint = await lockCheckpoint(tx, this.sink.name);
      if (!checkpoint) return { published: 0, busy: true, more: false };
      const after: Position = { xid: checkpoint.xid, id: checkpoint.id };
      const horizon = await safeHorizon(tx);
      if (this.sink.hasAudience && !(await this.sink.hasAudience(tx))) {
        const last = await latestPositionBelow(tx, horizon);
        if (last && comparePositions(last, after) > 0) await advanceCheckpoint(tx, this.sink.name, last, 0);
        return { published: 0, busy: false, more: false };
      }
      const selected = await selectBatch(tx, after, horizon, this.options.batchSize);
      if (!selected) return { published: 0, busy: false, more: false };
      const events = await loadEvents(tx, after, selected.end);
      await this.sink.publish(tx, events);
      await this.options.beforeCheckpoint?.(events);
      await advanceCheckpoint(tx, this.sink.name, selected.end, events.length);
      return { published: events.length, busy: false, more: selected.full };
    });
  }

  /** Batches until caught up (or another relay has the checkpoint); returns events published. */
  async drain(maxBatches = 100): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const r = await this.runBatch();
      total += r.published;
      if (!r.more) break;
    }
    return total;
  }
}

/*
 * Picks where the batch ends so that no order's events go out of id order, across batches too.
 * Events of one order are written under its row lock, so the smaller id committed first; but a
 * transaction takes its xid at its first write, possibly before waiting for that lock, so (xid, id)
 * order can put a later event of an order first. Such an earlier event left outside the batch is
 * pulled in while it is below the horizon; if it is not yet, the batch stops before the event that
 * would overtake it (and waits for the horizon to pass it).
 */
export async function selectBatch(tx: Executor, after: Position, horizon: string, limit: number): Promise<{ end: Position; full: boolean } | undefined> {
  const first = await positionsAfter(tx, after, horizon, limit);
  if (first.length === 0) return undefined;
  const full = first.length === limit;
  let end = first[first.length - 1]!;
  for (let round = 0; round < MAX_PULL_IN_ROUNDS; round++) {
    const blockers = await findBlockers(tx, after, end, horizon);
    if (blockers.length === 0) return { end, full };
    if (!blockers.every((b) => b.belowHorizon)) break;
    end = blockers.reduce<Position>((max, b) => (comparePositions(b, max) > 0 ? { xid: b.xid, id: b.id } : max), end);
  }
  // Cutting can leave an earlier event between the new end and the old one: check again until clean.
  let positions = await positionsBetween(tx, after, end);
  for (;;) {
    const blockers = await findBlockers(tx, after, end, horizon);
    if (blockers.length === 0) return { end, full: true };
    const blocked = new Set(blockers.map((b) => b.blockedId));
    const cut = positions.findIndex((p) => blocked.has(p.id));
    if (cut <= 0) return undefined;
    positions = positions.slice(0, cut);
    end = positions[cut - 1]!;
  }
}
