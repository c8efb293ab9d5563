import type { Executor } from '../../platform/db/types.js';

export interface Customer {
  id: string;
  tenantId: string;
  email: string;
  name: string;
}

export interface UpsertedCustomer extends Customer {
  created: boolean;
}

export interface NewCustomer {
  email: string;
  name: string;
}

const columns = `id, tenant_id AS "tenantId", email, name`;

/** Customers to look up or create, lowercase and once each (the first name given), in email order. */
export function wantedCustomers(customers: readonly NewCustomer[]): { emails: string[]; names: string[] } {
  const byEmail = new Map<string, string>();
  for (const c of customers) {
    const email = c.email.toLowerCase();
    if (!byEmail.has(email)) byEmail.set(email, c.name);
  }
  const emails = [...byEmail.keys()].sort();
  return { emails, names: emails.map((e) => byEmail.get(e)!) };
}

/**
 * The CTEs, to put in a statement's WITH, that find or create the customers of
 * wantedCustomers() (`emails` and `names` name its two arrays, `tenant` the tenant): they end in
 * `c (email, id, name, created)`, each customer once. Emails are stored lowercase: the unique
 * (tenant_id, email) must not split one person in two.
 *
 * Customers the statement's snapshot holds are only read (index probes, whatever the planner
 * thinks the tenant's customers number): no write, no dead row. The missing ones are inserted in
 * email order, so two statements wait on each other in one order and cannot deadlock; one that a
 * concurrent transaction inserted meanwhile is taken by ON CONFLICT DO UPDATE, which (unlike DO
 * NOTHING) returns the row once that transaction commits. Nothing is inserted while `unless` (a
 * condition over the statement's other CTEs) holds.
 */
export function customerCtes(tenant: string, emails: string, names: string, unless = 'false'): string {
  return `w AS (
       SELECT email, name FROM unnest(${emails}::text[], ${names}::text[]) AS t(email, name)
     ), found AS (
       SELECT w.email, c.id, c.name FROM w JOIN LATERAL (SELECT id, name FROM customers WHERE tenant_id = ${tenant} AND email = w.email) c ON true
     ), added AS (
       INSERT INTO customers (tenant_id, email, name)
       SELECT ${tenant}, w.email, w.name FROM w
       WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.email = w.email) AND NOT (${unless})
       ORDER BY w.email
       ON CONFLICT (tenant_id, email) DO UPDATE SET name = customers.name
       RETURNING email, id, name, xmax = 0 AS created
     ), c AS (
       SELECT email, id, name, false AS created FROM found UNION ALL SELECT email, id, name, created FROM added
     )`;
}

/** The customers with these emails, created where missing; each once, new or existing (customerCtes). */
export async function upsertCustomers(ex: Executor, tenantId: string, customers: readonly NewCustomer[]): Promise<UpsertedCustomer[]> {
  if (customers.length === 0) return [];
  const { emails, names } = wantedCustomers(customers);
  const { rows } = await ex.query<UpsertedCustomer>(
    `WITH ${customerCtes('$1', '$2', '$3')} SELECT id, $1::uuid AS "tenantId", email, name, created FROM c`,
    [tenantId, emails, names],
    { prepareAs: 'customers.upsert' },
  );
  return rows;
}

export async function findCustomerByEmail(ex: Executor, tenantId: string, email: string): Promise<Customer | undefined> {
  const { rows } = await ex.query<Customer>(`SELECT ${columns} FROM customers WHERE tenant_id = $1 AND email = lower($2)`, [tenantId, email]);
  return rows[0];
}
