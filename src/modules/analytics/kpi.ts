/*
 * The KPI arithmetic, pure: what one counted event adds, how stored counters become the figures
 * we show, and the calendar days of a range. The projector (Redis) and the ledger (Postgres)
 * both go through here, so the two can only disagree about data, never about definitions.
 */

import { DAY_MS } from '../../platform/time.js';

/** Stored per tenant, day and currency. Everything else (revenue, AOV) is derived on read. */
export const COUNTERS = ['gross_revenue', 'orders_completed', 'refunds_count', 'refunds_amount', 'orders_failed', 'orders_cancelled'] as const;
export type CounterName = (typeof COUNTERS)[number];
export type Counters = Record<CounterName, number>;

/** What an event counts as: completion, succeeded refund, failure (reservation or payment), cancellation. */
export type FactKind = 'completed' | 'refund' | 'failed' | 'cancelled';

/** One counted event, already placed on its tenant-local day. */
export interface Fact {
  xid: string;
  id: number;
  day: string;
  kind: FactKind;
  currency: string;
  /** Order total for a completion, refunded amount for a refund, 0 otherwise (minor units). */
  amount: number;
  customerId: string;
}

export interface CustomerTotals {
  /** Completed order totals minus succeeded refunds, minor units. */
  netSpend: number;
  orders: number;
}

export interface Kpis {
  currency: string;
  revenue: number;
  grossRevenue: number;
  ordersCompleted: number;
  averageOrderValue: number;
  refundsCount: number;
  refundsAmount: number;
  ordersFailed: number;
  ordersCancelled: number;
}

export function zeroCounters(): Counters {
  return { gross_revenue: 0, orders_completed: 0, refunds_count: 0, refunds_amount: 0, orders_failed: 0, orders_cancelled: 0 };
}

export function addCounters(into: Counters, more: Counters): Counters {
  for (const name of COUNTERS) into[name] += more[name];
  return into;
}

/** What one fact adds to its day's counters. */
export function countersOf(fact: Pick<Fact, 'kind' | 'amount'>): Counters {
  const c = zeroCounters();
  if (fact.kind === 'completed') {
    c.gross_revenue = fact.amount;
    c.orders_completed = 1;
  } else if (fact.kind === 'refund') {
    c.refunds_amount = fact.amount;
    c.refunds_count = 1;
  } else if (fact.kind === 'failed') c.orders_failed = 1;
  else c.orders_cancelled = 1;
  return c;
}

/** What one fact adds to its customer's totals (failures and cancellations add nothing). */
export function customerDeltaOf(fact: Pick<Fact, 'kind' | 'amount'>): CustomerTotals | undefined {
  if (fact.kind === 'completed') return { netSpend: fact.amount, orders: 1 };
  if (fact.kind === 'refund') return { netSpend: -fact.amount, orders: 0 };
  return undefined;
}

/** Deltas of a batch of facts: day -> currency -> counters, and currency -> customer -> totals. */
export interface Delta {
  days: Map<string, Map<string, Counters>>;
  customers: Map<string, Map<string, CustomerTotals>>;
}

export function aggregate(facts: readonly Fact[]): Delta {
  const days = new Map<string, Map<string, Counters>>();
  const customers = new Map<string, Map<string, CustomerTotals>>();
  for (const f of facts) {
    const day = days.get(f.day) ?? days.set(f.day, new Map()).get(f.day)!;
    addCounters(day.get(f.currency) ?? day.set(f.currency, zeroCounters()).get(f.currency)!, countersOf(f));
    const delta = customerDeltaOf(f);
    if (!delta) continue;
    const board = customers.get(f.currency) ?? customers.set(f.currency, new Map()).get(f.currency)!;
    const t = board.get(f.customerId) ?? board.set(f.customerId, { netSpend: 0, orders: 0 }).get(f.customerId)!;
    t.netSpend += delta.netSpend;
    t.orders += delta.orders;
  }
  return { days, customers };
}

/** a / b rounded half up (half away from zero), exactly, on integers; 0 when b is 0. */
export function divRoundHalfUp(a: number, b: number): number {
  if (b === 0) return 0;
  const n = BigInt(a);
  const d = BigInt(b);
  const neg = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (2n * an + ad) / (2n * ad);
  return Number(neg ? -q : q);
}

/** Stored counters -> the figures we show. AOV = gross revenue / completed orders, rounded half up. */
export function toKpis(currency: string, c: Counters): Kpis {
  return {
    currency,
    revenue: c.gross_revenue - c.refunds_amount,
    grossRevenue: c.gross_revenue,
    ordersCompleted: c.orders_completed,
    averageOrderValue: divRoundHalfUp(c.gross_revenue, c.orders_completed),
    refundsCount: c.refunds_count,
    refundsAmount: c.refunds_amount,
    ordersFailed: c.orders_failed,
    ordersCancelled: c.orders_cancelled,
  };
}

// ---- calendar days ('YYYY-MM-DD', no time zone: the tenant's zone was applied when the day was computed)

export function isValidDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included. */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export function dayCount(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** One formatter per zone: building one costs more than a KPI read from Redis. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** Today's date in an IANA time zone. */
export function todayIn(timeZone: string, now = new Date()): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA formats as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    if (dayFormats.size < 1000) dayFormats.set(timeZone, format);
  }
  return format.format(now);
}
