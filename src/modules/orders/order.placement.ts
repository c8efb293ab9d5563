import type { AppContext } from '../../context.js';
import { claimKeys, headerMismatch, settleKeys, type KeyClaim, type StoredResponse } from '../../http/idempotency.js';
import { DomainError } from '../../platform/errors.js';
import type { CreatedOrder } from './order.create.js';
import { jsonDates, toOrderDto } from './order.dto.js';
import { placeOrders, type PlaceOrderInput } from './order.service.js';

/*
 * POST /orders, group-committed. Placements that arrive while earlier ones are being written wait
 * and are then written together, a tenant's group at a time: ONE statement (customers, orders +
 * items + events, the reservation job; catalog rows from the process's cache, which the statement
 * checks) for the whole group, plus a transaction around it with the keys when requests carry
 * Idempotency-Keys, instead of a transaction of a dozen round trips per order. An idle server
 * writes a placement at once (the next event-loop turn); under load groups grow by themselves,
 * up to MAX_BATCH.
 *
 * What each request still gets is what it would get alone: its order and event committed with
 * the job that reserves it, or nothing; its own answer (201, 400, 409, 422, or a replay); its
 * Idempotency-Key stored with its response in the transaction that created the order, released
 * when it was refused. A group never holds one order code or one key twice (the later request
 * waits for the next group, then finds the order or the stored response, as it would have).
 * A group whose write fails (not a refusal: an infrastructure error, a deadlock) is
 * written again one placement at a time, so one request cannot fail the others.
 */

export interface Placement {
  tenantId: string;
  input: PlaceOrderInput;
  claim?: KeyClaim;
}

export interface Placed extends StoredResponse {
  replayed: boolean;
}

interface Waiting extends Placement {
  resolve(placed: Placed): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 250;

/** The 201 body: the order as written, so it is answered without reading six tables back. */
export function createdDetail(c: CreatedOrder) {
  return { ...toOrderDto(c.order), items: c.items, reservations: [], payments: [], refunds: [], events: jsonDates([c.event]) };
}

/** Each placement's answer, from placeOrders' results in the group's order. */
function answers(group: readonly Waiting[], results: readonly (CreatedOrder | DomainError)[]): Map<Waiting, Placed | DomainError> {
  return new Map(group.map((w, i) => {
    const r = results[i]!;
    return [w, r instanceof DomainError ? r : { status: 201, body: createdDetail(r), replayed: false }];
  }));
}

/**
 * A group (one tenant's placements). Without Idempotency-Keys to store, placeOrders' one write
 * statement is the group's transaction: no BEGIN and COMMIT round trips. With keys, the keys are
 * claimed, the orders written and the responses stored in one transaction.
 */
async function writeGroup(ctx: AppContext, group: readonly Waiting[]): Promise<Map<Waiting, Placed | DomainError>> {
  const tenantId = group[0]!.tenantId;
  if (!group.some((w) => w.claim)) return answers(group, await placeOrders(ctx, ctx.db, tenantId, group.map((w) => w.input)));
  return ctx.db.transaction(async (tx) => {
    const prior = await claimKeys(tx, group.flatMap((w) => (w.claim ? [w.claim] : [])));
    const out = new Map<Waiting, Placed | DomainError>();
    const fresh: Waiting[] = [];
    for (const w of group) {
      const used = w.claim && prior.get(w.claim);
      if (used === 'mismatch') out.set(w, new DomainError('IDEMPOTENCY_MISMATCH', headerMismatch(w.claim!.key)));
      else if (used) out.set(w, { ...used, replayed: true });
      else fresh.push(w);
    }
    const stored: { claim: KeyClaim; response: StoredResponse }[] = [];
    const released: KeyClaim[] = [];
    for (const [w, r] of answers(fresh, await placeOrders(ctx, tx, tenantId, fresh.map((f) => f.input)))) {
      out.set(w, r);
      if (!w.claim) continue;
      if (r instanceof DomainError) released.push(w.claim);
      else stored.push({ claim: w.claim, response: r });
    }
    await settleKeys(tx, stored, released);
    return out;
  });
}

export class PlacementBatcher {
  private waiting: Waiting[] = [];
  private running = 0;
  private scheduled = false;

  /** `concurrency`: groups written at once, each on its own connection. */
  constructor(
    private readonly ctx: AppContext,
    private readonly concurrency: number,
  ) {}

  place(p: Placement): Promise<Placed> {
    return new Promise<Placed>((resolve, reject) => {
      this.waiting.push({ ...p, resolve, reject });
      if (this.scheduled) return;
      // Requests parsed in the same turn (one socket read) join one group.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const group = this.take();
      this.running += 1;
      void this.write(group).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  /**
   * Up to MAX_BATCH placements of the first waiting one's tenant, none repeating an order code or
   * a key of another; the rest wait. One tenant: a group is written by one statement.
   */
  private take(): Waiting[] {
    const group: Waiting[] = [];
    const rest: Waiting[] = [];
    const taken = new Set<string>();
    const tenantId = this.waiting[0]?.tenantId;
    for (const w of this.waiting) {
      const ids = [`${w.tenantId}\u0000order\u0000${w.input.orderCode}`];
      if (w.claim) ids.push(`${w.claim.tenantId}\u0000${w.claim.scope}\u0000${w.claim.key}`);
      if (group.length >= MAX_BATCH || w.tenantId !== tenantId || ids.some((id) => taken.has(id))) {
        rest.push(w);
        continue;
      }
      for (const id of ids) taken.add(id);
      group.push(w);
    }
    this.waiting = rest;
    return group;
  }

  private async write(group: Waiting[]): Promise<void> {
    let results: Map<Waiting, Placed | DomainError>;
    try {
      results = await writeGroup(this.ctx, group);
    } catch (err) {
      if (group.length === 1) return group[0]!.reject(err);
      this.ctx.logger.warn({ err, placements: group.length }, 'a group of order placements failed; writing them one by one');
      for (const w of group) await this.write([w]);
      return;
    }
    for (const w of group) {
      const r = results.get(w)!;
      if (r instanceof DomainError) w.reject(r);
      else w.resolve(r);
    }
  }
}

const batchers = new WeakMap<AppContext, PlacementBatcher>();

/**
 * Groups written at once on PostgreSQL: one group's statement runs while the next one gathers.
 * A group is one statement; three at once only made them contend on two cores (API alone,
 * interleaved, two against three: 2,463/2,058, 2,915/2,119, 2,705/2,857, 3,135/2,006 orders/s).
 */
const GROUPS_AT_ONCE = 2;

/** This process's batcher. PGlite has one connection: one group at a time. */
export function placementBatcher(ctx: AppContext): PlacementBatcher {
  let batcher = batchers.get(ctx);
  if (!batcher) {
    const db = ctx.config.database;
    batcher = new PlacementBatcher(ctx, db.kind === 'postgres' ? Math.max(1, Math.min(GROUPS_AT_ONCE, Math.floor(db.poolMax / 3))) : 1);
    batchers.set(ctx, batcher);
  }
  return batcher;
}
