import type { Redis } from 'ioredis';
import { COUNTERS, zeroCounters, type Counters, type CustomerTotals, type Delta } from './kpi.js';
import { parsePosition, positionText, START, type Position } from './ledger.repository.js';

/*
 * The live KPIs in Redis, a projection of the ledger. Per tenant:
 *   ordersys:kpi:{tenant}:{YYYY-MM-DD}               hash  "<counter>:<currency>" -> integer
 *   ordersys:leaderboard:{tenant}:{currency}         zset  customer id -> net spend (minor units)
 *   ordersys:leaderboard:{tenant}:{currency}:orders  hash  customer id -> completed orders
 *   ordersys:kpimeta:{tenant}:checkpoint             "xid:id" of the last event applied
 *   ordersys:kpimeta:{tenant}:keys                   set of the data keys above (for rebuild)
 * Data and checkpoint only ever change together, inside one Lua script: Redis never holds a
 * figure without the checkpoint that says which events it contains.
 */

export const kpiKey = (tenantId: string, day: string) => `ordersys:kpi:${tenantId}:${day}`;
export const boardKey = (tenantId: string, currency: string) => `ordersys:leaderboard:${tenantId}:${currency}`;
export const boardOrdersKey = (tenantId: string, currency: string) => `${boardKey(tenantId, currency)}:orders`;
export const checkpointKey = (tenantId: string) => `ordersys:kpimeta:${tenantId}:checkpoint`;
export const registryKey = (tenantId: string) => `ordersys:kpimeta:${tenantId}:keys`;
/** The time zone the tenant's day keys were cut in: a projection in another zone must be rebuilt, not added to. */
export const zoneKey = (tenantId: string) => `ordersys:kpimeta:${tenantId}:zone`;
export const eventsChannel = (tenantId: string) => `ordersys:events:${tenantId}`;
export const field = (counter: string, currency: string) => `${counter}:${currency}`;

interface Ops {
  /** [hash key, field, integer as a string]: HINCRBY on apply, HSET on rebuild. */
  h: [string, string, string][];
  /** [zset key, member, score as a string]: ZINCRBY on apply, ZADD on rebuild. */
  z: [string, string, string][];
  k: string[];
}

// Numbers travel as strings: cjson would turn large integers into floats printed with 14 digits.
// 2: the figures were cut in another zone (or before zones were recorded): rebuild, do not add.
const APPLY = `
local cur = redis.call('GET', KEYS[1]) or '0:0'
if cur ~= ARGV[1] then return 0 end
local zone = redis.call('GET', KEYS[3])
if zone == false and cur == '0:0' then redis.call('SET', KEYS[3], ARGV[4])
elseif zone ~= ARGV[4] then return 2 end
local ops = cjson.decode(ARGV[3])
for _, o in ipairs(ops.h) do redis.call('HINCRBY', o[1], o[2], o[3]) end
for _, o in ipairs(ops.z) do redis.call('ZINCRBY', o[1], o[3], o[2]) end
for _, k in ipairs(ops.k) do redis.call('SADD', KEYS[2], k) end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

const REPLACE = `
local old = redis.call('SMEMBERS', KEYS[2])
for i = 1, #old, 500 do redis.call('DEL', unpack(old, i, math.min(i + 499, #old))) end
redis.call('DEL', KEYS[2])
local ops = cjson.decode(ARGV[2])
for _, o in ipairs(ops.h) do redis.call('HSET', o[1], o[2], o[3]) end
for _, o in ipairs(ops.z) do redis.call('ZADD', o[1], o[3], o[2]) end
for _, k in ipairs(ops.k) do redis.call('SADD', KEYS[2], k) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[3], ARGV[3])
return 1`;

function opsOf(
  tenantId: string,
  days: ReadonlyMap<string, ReadonlyMap<string, Counters>>,
  customers: ReadonlyMap<string, ReadonlyMap<string, CustomerTotals>>,
  keepZeros: boolean,
): Ops {
  const ops: Ops = { h: [], z: [], k: [] };
  for (const [day, byCurrency] of days) {
    const key = kpiKey(tenantId, day);
    ops.k.push(key);
    for (const [currency, c] of byCurrency) {
      for (const name of COUNTERS) if (keepZeros || c[name] !== 0) ops.h.push([key, field(name, currency), String(c[name])]);
    }
  }
  for (const [currency, board] of customers) {
    const key = boardKey(tenantId, currency);
    const ordersKey = boardOrdersKey(tenantId, currency);
    ops.k.push(key, ordersKey);
    for (const [customerId, t] of board) {
      ops.z.push([key, customerId, String(t.netSpend)]);
      if (keepZeros || t.orders !== 0) ops.h.push([ordersKey, customerId, String(t.orders)]);
    }
  }
  return ops;
}

/**
 * Adds a chunk's deltas (its days cut in `zone`) and moves the checkpoint from `from` to `to`, all
 * or nothing, and only if the checkpoint is still `from` ('moved' otherwise: a second projector
 * that read the same events, or one that resumes after a crash it does not know the outcome of,
 * applies nothing) and the figures were cut in the same zone ('rezoned' otherwise: the tenant's
 * zone changed, and days of two zones must never be added up).
 */
export async function applyDelta(
  redis: Redis,
  tenantId: string,
  from: Position,
  to: Position,
  delta: Delta,
  zone: string,
): Promise<'applied' | 'moved' | 'rezoned'> {
  const ops = opsOf(tenantId, delta.days, delta.customers, false);
  const keys = [checkpointKey(tenantId), registryKey(tenantId), zoneKey(tenantId)];
  const r = await redis.eval(APPLY, 3, ...keys, positionText(from), positionText(to), JSON.stringify(ops), zone);
  return r === 1 ? 'applied' : r === 2 ? 'rezoned' : 'moved';
}

/** Replaces everything the tenant has in Redis with these figures (days cut in `zone`) as of `at`, atomically. */
export async function replaceAll(redis: Redis, tenantId: string, at: Position, delta: Delta, zone: string): Promise<void> {
  const ops = opsOf(tenantId, delta.days, delta.customers, true);
  await redis.eval(REPLACE, 3, checkpointKey(tenantId), registryKey(tenantId), zoneKey(tenantId), positionText(at), JSON.stringify(ops), zone);
}

/** The zone each tenant's figures were cut in (undefined: none recorded). */
export async function readZones(redis: Redis, tenantIds: readonly string[]): Promise<Map<string, string | undefined>> {
  if (tenantIds.length === 0) return new Map();
  const zones = await redis.mget(tenantIds.map(zoneKey));
  return new Map(tenantIds.map((id, i) => [id, zones[i] ?? undefined]));
}

export async function readCheckpoint(redis: Redis, tenantId: string): Promise<Position | undefined> {
  const text = await redis.get(checkpointKey(tenantId));
  return text === null ? undefined : parsePosition(text);
}

export async function readCheckpoints(redis: Redis, tenantIds: readonly string[]): Promise<Map<string, Position>> {
  if (tenantIds.length === 0) return new Map();
  const texts = await redis.mget(tenantIds.map(checkpointKey));
  return new Map(tenantIds.map((id, i) => [id, parsePosition(texts[i])]));
}

function countersFromHash(hash: Record<string, string>): Map<string, Counters> {
  const out = new Map<string, Counters>();
  for (const [f, value] of Object.entries(hash)) {
    const at = f.lastIndexOf(':');
    const name = f.slice(0, at) as keyof Counters;
    const currency = f.slice(at + 1);
    if (!COUNTERS.includes(name)) continue;
    const c = out.get(currency) ?? out.set(currency, zeroCounters()).get(currency)!;
    c[name] = Number(value);
  }
  return out;
}

/**
 * Counters of these days with the checkpoint they hold, or undefined when the tenant was never
 * projected: then Redis knows nothing and the caller must ask the ledger. One MULTI, so one
 * consistent view.
 */
export async function readDays(
  redis: Redis,
  tenantId: string,
  days: readonly string[],
): Promise<{ checkpoint: Position; days: Map<string, Map<string, Counters>> } | undefined> {
  const multi = redis.multi().get(checkpointKey(tenantId));
  for (const day of days) multi.hgetall(kpiKey(tenantId, day));
  const replies = await multi.exec();
  if (!replies) throw new Error('redis MULTI was aborted');
  for (const [err] of replies) if (err) throw err;
  const checkpoint = replies[0]![1] as string | null;
  if (checkpoint === null) return undefined;
  return {
    checkpoint: parsePosition(checkpoint),
    days: new Map(days.map((day, i) => [day, countersFromHash(replies[i + 1]![1] as Record<string, string>)])),
  };
}

export interface BoardEntry {
  customerId: string;
  netSpend: number;
  orders: number;
}

/**
 * Top `limit` customers of each currency (or of one), by net spend, with the checkpoint read
 * before them (the boards hold at least that); undefined if never projected.
 */
export async function readLeaderboards(
  redis: Redis,
  tenantId: string,
  limit: number,
  currency?: string,
): Promise<{ checkpoint: Position; boards: Map<string, BoardEntry[]> } | undefined> {
  const [checkpoint, keys] = await Promise.all([redis.get(checkpointKey(tenantId)), redis.smembers(registryKey(tenantId))]);
  if (checkpoint === null) return undefined;
  const prefix = boardKey(tenantId, '');
  const currencies = keys
    .filter((k) => k.startsWith(prefix) && !k.endsWith(':orders'))
    .map((k) => k.slice(prefix.length))
    .filter((c) => !currency || c === currency)
    .sort();
  const out = new Map<string, BoardEntry[]>();
  for (const cur of currencies) {
    const flat = await redis.zrevrange(boardKey(tenantId, cur), 0, limit - 1, 'WITHSCORES');
    const ids = flat.filter((_, i) => i % 2 === 0);
    const orders = ids.length ? await redis.hmget(boardOrdersKey(tenantId, cur), ...ids) : [];
    out.set(
      cur,
      ids.map((customerId, i) => ({ customerId, netSpend: Number(flat[2 * i + 1]), orders: Number(orders[i] ?? 0) })),
    );
  }
  return { checkpoint: parsePosition(checkpoint), boards: out };
}

export interface Snapshot {
  checkpoint: Position;
  days: Map<string, Map<string, Counters>>;
  customers: Map<string, Map<string, CustomerTotals>>;
}

/** Everything Redis holds for a tenant, read in one MULTI with the checkpoint it corresponds to. */
export async function readSnapshot(redis: Redis, tenantId: string, attempts = 10): Promise<Snapshot> {
  const dayPrefix = kpiKey(tenantId, '');
  const boardPrefix = boardKey(tenantId, '');
  for (let attempt = 0; attempt < attempts; attempt++) {
    const before = await redis.get(checkpointKey(tenantId));
    const keys = (await redis.smembers(registryKey(tenantId))).sort();
    const multi = redis.multi().get(checkpointKey(tenantId));
    for (const key of keys) {
      if (key.startsWith(boardPrefix) && !key.endsWith(':orders')) multi.zrange(key, 0, -1, 'WITHSCORES');
      else multi.hgetall(key);
    }
    const replies = await multi.exec();
    if (!replies) continue;
    for (const [err] of replies) if (err) throw err;
    // Keys were listed outside the MULTI: if the checkpoint moved meanwhile the list may be short.
    if (replies[0]![1] !== before) continue;
    const snap: Snapshot = { checkpoint: before === null ? START : parsePosition(before), days: new Map(), customers: new Map() };
    keys.forEach((key, i) => {
      const reply = replies[i + 1]![1];
      if (key.startsWith(dayPrefix)) snap.days.set(key.slice(dayPrefix.length), countersFromHash(reply as Record<string, string>));
      else if (key.startsWith(boardPrefix)) {
        const isOrders = key.endsWith(':orders');
        const currency = key.slice(boardPrefix.length, isOrders ? -':orders'.length : undefined);
        const board = snap.customers.get(currency) ?? snap.customers.set(currency, new Map()).get(currency)!;
        const totals = (id: string) => board.get(id) ?? board.set(id, { netSpend: 0, orders: 0 }).get(id)!;
        if (isOrders) for (const [id, n] of Object.entries(reply as Record<string, string>)) totals(id).orders = Number(n);
        else {
          const flat = reply as string[];
          for (let j = 0; j < flat.length; j += 2) totals(flat[j]!).netSpend = Number(flat[j + 1]);
        }
      }
    });
    return snap;
  }
  throw new Error(`could not read a consistent KPI snapshot of tenant ${tenantId} in ${attempts} attempts: the projector keeps moving; retry`);
}

/** Tells dashboards which days changed; a lost message only delays a refresh. */
export async function publishChange(redis: Redis, tenantId: string, days: readonly string[]): Promise<void> {
  await redis.publish(eventsChannel(tenantId), JSON.stringify({ type: 'kpi', days }));
}
