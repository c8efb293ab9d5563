import type { AppContext } from '../../context.js';
import { invalid, notFound } from '../../platform/errors.js';
import {
  addCounters,
  COUNTERS,
  dayCount,
  daysOf,
  isValidDay,
  todayIn,
  toKpis,
  zeroCounters,
  type Counters,
  type CustomerTotals,
  type Kpis,
} from './kpi.js';
import { eventsAppended } from '../orders/order.events.js';
import { rebuildTenantKpis } from './kpi.rebuild.js';
import { readDays, readLeaderboards, readSnapshot } from './kpi.store.js';
import {
  catalogCurrencies,
  countedAfter,
  customersByIds,
  ledgerAgainstRows,
  ledgerCounters,
  ledgerCustomers,
  ledgerLeaderboard,
  positionText,
  projectionBehind,
  type LedgerRowsFigures,
  type Position,
  tenantZone,
  type TenantZone,
} from './ledger.repository.js';

export const MAX_RANGE_DAYS = 366;
export type Source = 'redis' | 'postgres';

export interface DayRange {
  from: string;
  to: string;
}

/** `date`, or `from` and `to` (both included), or today in the tenant's time zone. */
export function resolveRange(q: { date?: string; from?: string; to?: string }, timeZone: string): DayRange {
  for (const name of ['date', 'from', 'to'] as const) {
    const v = q[name];
    if (v !== undefined && !isValidDay(v)) throw invalid(name, `"${v}" is not a calendar date; use YYYY-MM-DD.`);
  }
  if (q.date && (q.from || q.to)) throw invalid('date', 'give either date, or from and to, not both.');
  if (q.date) return { from: q.date, to: q.date };
  if (!q.from && !q.to) {
    const today = todayIn(timeZone);
    return { from: today, to: today };
  }
  if (!q.from) throw invalid('from', 'is required with to.');
  if (!q.to) throw invalid('to', 'is required with from.');
  if (q.from > q.to) throw invalid('to', `must not be before from (${q.from}).`);
  if (dayCount(q.from, q.to) > MAX_RANGE_DAYS) throw invalid('to', `the range may span at most ${MAX_RANGE_DAYS} days.`);
  return { from: q.from, to: q.to };
}

export async function tenantOrThrow(ctx: AppContext, tenantId: string): Promise<TenantZone> {
  const tenant = await tenantZone(ctx.db, tenantId);
  if (!tenant) throw notFound('Tenant', tenantId);
  return tenant;
}

let warnedAt = 0;
/** Redis answers reads when it can; any failure falls back to the ledger (logged at most once a minute). */
function redisFailed(ctx: AppContext, err: unknown): void {
  if (Date.now() - warnedAt < 60_000) return;
  warnedAt = Date.now();
  ctx.logger.warn({ err: (err as Error).message }, 'analytics: Redis read failed; answering from Postgres');
}

/**
 * Redis answers while its projection is no more than this behind the ledger. Normally it is a
 * second or two; past this (the projector stopped, a transaction left open on the cluster holds
 * its horizon) the ledger answers instead, exact and current, and `source` says so.
 */
export const REDIS_BEHIND_SECONDS = 30;

/** A Redis read, or undefined when it holds no projection of the tenant or is too far behind: then ask the ledger. */
async function ifCurrent<T extends { checkpoint: Position }>(ctx: AppContext, tenantId: string, read: T | undefined): Promise<T | undefined> {
  if (!read || (await projectionBehind(ctx.db, tenantId, read.checkpoint, REDIS_BEHIND_SECONDS))) return undefined;
  return read;
}

/** day -> currency -> counters for days of the range only (days without data absent or empty). */
async function countersOfRange(ctx: AppContext, tenant: TenantZone, range: DayRange): Promise<{ source: Source; days: Map<string, Map<string, Counters>> }> {
  if (ctx.redis) {
    try {
      const read = await ifCurrent(ctx, tenant.id, await readDays(ctx.redis, tenant.id, daysOf(range.from, range.to)));
      if (read) return { source: 'redis', days: read.days };
    } catch (err) {
      redisFailed(ctx, err);
    }
  }
  return { source: 'postgres', days: await ledgerDays(ctx, tenant, range) };
}

/*
 * Without Redis every read sums the range's counted events from the ledger (~50,000 after a
 * million-line import: ~30 reads/s embedded). On PGlite this process is the only writer, so a
 * sum stays exact until it appends another event: remember it until then. On PostgreSQL other
 * processes write too, so the ledger is read each time.
 */
const LEDGER_MEMO_MAX = 256;
const ledgerMemo = new WeakMap<AppContext, Map<string, { version: number; days: Map<string, Map<string, Counters>> }>>();

async function ledgerDays(ctx: AppContext, tenant: TenantZone, range: DayRange): Promise<Map<string, Map<string, Counters>>> {
  const memo = ctx.db.kind === 'pglite' ? (ledgerMemo.get(ctx) ?? ledgerMemo.set(ctx, new Map()).get(ctx)!) : undefined;
  const key = `${tenant.id}|${tenant.timeZone}|${range.from}|${range.to}`;
  const version = eventsAppended(); // before the read: see eventsAppended
  const hit = memo?.get(key);
  if (hit && hit.version === version) return hit.days;
  const days = new Map<string, Map<string, Counters>>();
  for (const row of await ledgerCounters(ctx.db, tenant.id, tenant.timeZone, range)) {
    // A day outside the range would be summed into the range's totals and name its currencies.
    if (row.day < range.from || row.day > range.to) continue;
    (days.get(row.day) ?? days.set(row.day, new Map()).get(row.day)!).set(row.currency, row.counters);
  }
  if (memo) {
    if (memo.size >= LEDGER_MEMO_MAX) memo.clear();
    memo.set(key, { version, days });
  }
  return days;
}

async function currenciesOf(ctx: AppContext, tenantId: string, days: Map<string, Map<string, Counters>>): Promise<string[]> {
  const seen = new Set(await catalogCurrencies(ctx.db, tenantId));
  for (const byCurrency of days.values()) for (const c of byCurrency.keys()) seen.add(c);
  return [...seen].sort();
}

export interface KpiReport extends DayRange {
  timeZone: string;
  source: Source;
  /** One entry per currency the tenant sells in or had activity in; zeros when nothing happened. */
  currencies: Kpis[];
}

export async function getKpis(ctx: AppContext, tenantId: string, q: { date?: string; from?: string; to?: string }): Promise<KpiReport> {
  const tenant = await tenantOrThrow(ctx, tenantId);
  const range = resolveRange(q, tenant.timeZone);
  const { source, days } = await countersOfRange(ctx, tenant, range);
  const currencies = await currenciesOf(ctx, tenantId, days);
  const inRange = daysOf(range.from, range.to);
  const totals = currencies.map((currency) => {
    const sum = zeroCounters();
    for (const day of inRange) {
      const c = days.get(day)?.get(currency);
      if (c) addCounters(sum, c);
    }
    return toKpis(currency, sum);
  });
  return { ...range, timeZone: tenant.timeZone, source, currencies: totals };
}

export interface RevenueSeries extends DayRange {
  timeZone: string;
  source: Source;
  series: { currency: string; days: (Kpis & { date: string })[] }[];
}

/** One point per day of the range and currency, zero-filled: ready for a chart. */
export async function getRevenueSeries(ctx: AppContext, tenantId: string, q: { from?: string; to?: string }): Promise<RevenueSeries> {
  const tenant = await tenantOrThrow(ctx, tenantId);
  const range = resolveRange(q, tenant.timeZone);
  const { source, days } = await countersOfRange(ctx, tenant, range);
  const currencies = await currenciesOf(ctx, tenantId, days);
  const all = daysOf(range.from, range.to);
  const series = currencies.map((currency) => ({
    currency,
    days: all.map((date) => ({ date, ...toKpis(currency, days.get(date)?.get(currency) ?? zeroCounters()) })),
  }));
  return { ...range, timeZone: tenant.timeZone, source, series };
}

export interface LeaderboardEntry {
  rank: number;
  customerId: string;
  name: string;
  email: string;
  netSpend: number;
  orders: number;
}

export interface Leaderboards {
  source: Source;
  limit: number;
  leaderboards: { currency: string; customers: LeaderboardEntry[] }[];
}

export async function getLeaderboard(ctx: AppContext, tenantId: string, limit: number, currency?: string): Promise<Leaderboards> {
  const tenant = await tenantOrThrow(ctx, tenantId);
  if (ctx.redis) {
    try {
      const boards = (await ifCurrent(ctx, tenantId, await readLeaderboards(ctx.redis, tenantId, limit, currency)))?.boards;
      if (boards) {
        const ids = [...new Set([...boards.values()].flatMap((b) => b.map((e) => e.customerId)))];
        const people = await customersByIds(ctx.db, tenantId, ids);
        return {
          source: 'redis',
          limit,
          leaderboards: [...boards].map(([cur, entries]) => ({
            currency: cur,
            customers: entries.map((e, i) => ({ rank: i + 1, ...e, name: people.get(e.customerId)?.name ?? '', email: people.get(e.customerId)?.email ?? '' })),
          })),
        };
      }
    } catch (err) {
      redisFailed(ctx, err);
    }
  }
  const rows = await ledgerLeaderboard(ctx.db, tenantId, tenant.timeZone, limit, currency);
  const byCurrency = new Map<string, LeaderboardEntry[]>();
  for (const r of rows) {
    const list = byCurrency.get(r.currency) ?? byCurrency.set(r.currency, []).get(r.currency)!;
    list.push({ rank: r.rank, customerId: r.customerId, name: r.name, email: r.email, netSpend: r.netSpend, orders: r.orders });
  }
  return { source: 'postgres', limit, leaderboards: [...byCurrency].map(([cur, customers]) => ({ currency: cur, customers })) };
}

export interface RebuildResult {
  redis: boolean;
  checkpoint?: string;
  days?: number;
  customers?: number;
}

/** Recomputes the tenant's live KPIs from the ledger (kpi.rebuild.ts). */
export async function rebuildKpis(ctx: AppContext, tenantId: string): Promise<RebuildResult> {
  if (!ctx.redis) {
    await tenantOrThrow(ctx, tenantId);
    return { redis: false };
  }
  const rebuilt = await rebuildTenantKpis(ctx.db, ctx.redis, tenantId);
  if (!rebuilt) throw notFound('Tenant', tenantId);
  return { redis: true, checkpoint: rebuilt.checkpoint, days: rebuilt.days, customers: rebuilt.customers };
}

export interface Drift {
  what: string;
  live: number;
  ledger: number;
}

/** The ledger against the order and refund rows it counts (`rows`: what those rows say). */
export interface RowsDrift {
  what: string;
  ledger: number;
  rows: number;
}

export interface LedgerCheck {
  orders: number;
  refunds: number;
  /** Per currency totals first, then the first orders that disagree (see ledgerAgainstRows). */
  drift: RowsDrift[];
  /** Orders whose counted events disagree with their rows; `drift` names at most SAMPLE_ORDERS. */
  ordersMismatched: number;
}

export interface VerifyResult {
  redis: boolean;
  checkpoint?: string;
  checked?: { days: number; customers: number };
  /** Counted events after the checkpoint: not drift, the projector has not reached them yet. */
  unprojected?: number;
  /** Redis against the ledger, up to the checkpoint (empty without Redis). */
  drift: Drift[];
  /** The ledger against the rows, on every backend: without Redis the ledger is what reads answer. */
  ledger: LedgerCheck;
}

const SAMPLE_ORDERS = 20;

/**
 * Compares every counter of the ledger, per currency and per order, with what the order and
 * refund rows say. This is the check that catches a counted event written twice or lost, which
 * Redis against the ledger cannot see (both would count it alike).
 */
export async function verifyLedger(ctx: AppContext, tenantId: string): Promise<LedgerCheck> {
  const tenant = await tenantOrThrow(ctx, tenantId);
  const found = await ledgerAgainstRows(ctx.db, tenantId, tenant.timeZone, SAMPLE_ORDERS);
  const drift: RowsDrift[] = [];
  const compare = (prefix: string, f: LedgerRowsFigures) => {
    for (const name of COUNTERS) if (f.ledger[name] !== f.rows[name]) drift.push({ what: `${prefix} ${name}`, ledger: f.ledger[name], rows: f.rows[name] });
  };
  for (const t of found.totals) compare(t.currency, t);
  for (const o of found.sample) compare(`order ${o.orderCode} ${o.currency}`, o);
  return { orders: found.orders, refunds: found.refunds, drift, ordersMismatched: found.mismatched };
}

/**
 * Compares Redis with the ledger at the checkpoint Redis says it holds, so events the projector
 * has not reached yet are not drift (they are counted in `unprojected`). Every day, currency,
 * counter and customer is compared. Then the ledger itself is compared with the rows.
 */
export async function verifyKpis(ctx: AppContext, tenantId: string): Promise<VerifyResult> {
  const ledger = await verifyLedger(ctx, tenantId);
  if (!ctx.redis) return { redis: false, drift: [], ledger };
  return { ...(await verifyLive(ctx, tenantId)), ledger };
}

/** Redis against the ledger only (see verifyKpis). */
export async function verifyLive(ctx: AppContext, tenantId: string): Promise<Omit<VerifyResult, 'ledger'>> {
  const tenant = await tenantOrThrow(ctx, tenantId);
  if (!ctx.redis) return { redis: false, drift: [] };
  const snap = await readSnapshot(ctx.redis, tenantId);
  const [rows, customers, unprojected] = await Promise.all([
    ledgerCounters(ctx.db, tenantId, tenant.timeZone, { upTo: snap.checkpoint }),
    ledgerCustomers(ctx.db, tenantId, tenant.timeZone, snap.checkpoint),
    countedAfter(ctx.db, tenantId, snap.checkpoint),
  ]);
  const drift: Drift[] = [];

  const ledgerDays = new Map<string, Map<string, Counters>>();
  for (const r of rows) (ledgerDays.get(r.day) ?? ledgerDays.set(r.day, new Map()).get(r.day)!).set(r.currency, r.counters);
  const days = [...new Set([...ledgerDays.keys(), ...snap.days.keys()])].sort();
  for (const day of days) {
    const live = snap.days.get(day) ?? new Map<string, Counters>();
    const truth = ledgerDays.get(day) ?? new Map<string, Counters>();
    for (const currency of [...new Set([...live.keys(), ...truth.keys()])].sort()) {
      const l = live.get(currency) ?? zeroCounters();
      const t = truth.get(currency) ?? zeroCounters();
      for (const name of Object.keys(l) as (keyof Counters)[]) {
        if (l[name] !== t[name]) drift.push({ what: `${day} ${currency} ${name}`, live: l[name], ledger: t[name] });
      }
    }
  }

  const ledgerBoards = new Map<string, Map<string, CustomerTotals>>();
  for (const c of customers) {
    (ledgerBoards.get(c.currency) ?? ledgerBoards.set(c.currency, new Map()).get(c.currency)!).set(c.customerId, c);
  }
  let customersChecked = 0;
  for (const currency of [...new Set([...ledgerBoards.keys(), ...snap.customers.keys()])].sort()) {
    const live = snap.customers.get(currency) ?? new Map<string, CustomerTotals>();
    const truth = ledgerBoards.get(currency) ?? new Map<string, CustomerTotals>();
    for (const id of new Set([...live.keys(), ...truth.keys()])) {
      customersChecked++;
      const l = live.get(id) ?? { netSpend: 0, orders: 0 };
      const t = truth.get(id) ?? { netSpend: 0, orders: 0 };
      if (l.netSpend !== t.netSpend) drift.push({ what: `customer ${id} ${currency} net_spend`, live: l.netSpend, ledger: t.netSpend });
      if (l.orders !== t.orders) drift.push({ what: `customer ${id} ${currency} orders`, live: l.orders, ledger: t.orders });
    }
  }
  return { redis: true, checkpoint: positionText(snap.checkpoint), checked: { days: days.length, customers: customersChecked }, unprojected, drift };
}
