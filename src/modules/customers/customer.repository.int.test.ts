import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newTenant } from '../../../test/factories.js';
import { holdOpen, someoneWaitsForALock } from '../../../test/locks.js';
import { upsertCustomers } from './customer.repository.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('cli');
});
afterAll(() => ctx.dispose());

const byEmail = <T extends { email: string }>(rows: T[]) => [...rows].sort((a, b) => a.email.localeCompare(b.email));

describe('upsertCustomers', () => {
  it('creates the missing customers and finds the others, each once, by lowercase email', async () => {
    const tenant = await newTenant(ctx.db);
    const first = await upsertCustomers(ctx.db, tenant.id, [{ email: 'Ann@Example.com', name: 'Ann' }]);
    expect(first).toEqual([expect.objectContaining({ email: 'ann@example.com', name: 'Ann', tenantId: tenant.id, created: true })]);

    const again = await upsertCustomers(ctx.db, tenant.id, [
      { email: 'bob@example.com', name: 'Bob' },
      { email: 'ANN@example.com', name: 'Ann Renamed' },
      { email: 'Bob@Example.com', name: 'Bob twice' },
    ]);
    expect(byEmail(again).map((c) => [c.email, c.name, c.created])).toEqual([
      ['ann@example.com', 'Ann', false],
      ['bob@example.com', 'Bob', true],
    ]);
    expect(again.find((c) => c.email === 'ann@example.com')!.id).toBe(first[0]!.id);
    const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers WHERE tenant_id = $1`, [tenant.id]);
    expect(rows[0]!.n).toBe(2);
    // Another tenant's customer of the same email is another customer.
    const other = await newTenant(ctx.db);
    const theirs = await upsertCustomers(ctx.db, other.id, [{ email: 'ann@example.com', name: 'Ann' }]);
    expect(theirs[0]).toMatchObject({ created: true, tenantId: other.id });
    expect(theirs[0]!.id).not.toBe(first[0]!.id);
  });

  it.runIf(process.env.DATABASE_URL)('finds a customer that a concurrent transaction inserted while this one waited for it', async () => {
    const tenant = await newTenant(ctx.db);
    const theirs = holdOpen(ctx.db, (tx) => upsertCustomers(tx, tenant.id, [{ email: 'race@example.com', name: 'Theirs' }]));
    await theirs.held;
    const mine = ctx.db.transaction((tx) => upsertCustomers(tx, tenant.id, [
      { email: 'race@example.com', name: 'Mine' },
      { email: 'alone@example.com', name: 'Alone' },
    ]));
    // Mine waits on their uncommitted row for race@; let them commit only once it does.
    await someoneWaitsForALock(ctx.db);
    theirs.commit();
    const [t, m] = await Promise.all([theirs.done, mine]);
    expect(t).toEqual([expect.objectContaining({ email: 'race@example.com', created: true })]);
    expect(byEmail(m).map((c) => [c.email, c.name, c.created])).toEqual([
      ['alone@example.com', 'Alone', true],
      ['race@example.com', 'Theirs', false],
    ]);
    expect(m.find((c) => c.email === 'race@example.com')!.id).toBe(t[0]!.id);
  });
});
