import type { AppContext } from '../../context.js';
import { INVARIANTS } from './invariants.js';

export interface Breach {
  name: string;
  rule: string;
  count: number;
  sample: Record<string, unknown>[];
}

export interface VerifyReport {
  checked: string[];
  breaches: Breach[];
  ordersNotFinal: number;
}

/** Extra checks other modules contribute (live KPIs vs ledger, ...). */
export type ExtraCheck = (ctx: AppContext, tenantId: string | null) => Promise<Breach[]>;
const extraChecks: { name: string; check: ExtraCheck }[] = [];
export function addVerifyCheck(name: string, check: ExtraCheck): void {
  extraChecks.push({ name, check });
}

const SAMPLE = 5;

/** Runs every invariant; read-only, safe on a live database. */
export async function verifyInvariants(ctx: AppContext, tenantId: string | null): Promise<VerifyReport> {
  const breaches: Breach[] = [];
  for (const inv of INVARIANTS) {
    const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${inv.sql}) breach`, [tenantId]);
    const count = rows[0]!.n;
    if (count === 0) continue;
    const sample = await ctx.db.query<Record<string, unknown>>(`${inv.sql} LIMIT ${SAMPLE}`, [tenantId]);
    breaches.push({ name: inv.name, rule: inv.rule, count, sample: sample.rows });
  }
  for (const extra of extraChecks) breaches.push(...(await extra.check(ctx, tenantId)));
  const { rows } = await ctx.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders WHERE ($1::uuid IS NULL OR tenant_id = $1) AND status IN ('pending', 'reserved')`,
    [tenantId],
  );
  return { checked: [...INVARIANTS.map((i) => i.name), ...extraChecks.map((e) => e.name)], breaches, ordersNotFinal: rows[0]!.n };
}
