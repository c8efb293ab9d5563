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

/**
 * Upserts many customers in one statement and returns all of them, new or existing.
 * Emails are stored lowercase: the unique (tenant_id, email) must not split one person in two.
 */
export async function upsertCustomers(ex: Executor, tenantId: string, customers: readonly NewCustomer[]): Promise<UpsertedCustomer[]> {
  if (customers.length === 0) return [];
  const { rows } = await ex.query<UpsertedCustomer>(
    `WITH input AS (
       SELECT DISTINCT ON (lower(email)) lower(email) AS email, name
       FROM unnest($2::text[], $3::text[]) AS t(email, name)
     ), inserted AS (
       INSERT INTO customers (tenant_id, email, name)
       SELECT $1, email, name FROM input
       ON CONFLICT (tenant_id, email) DO NOTHING
       RETURNING ${columns}
     )
     SELECT *, true AS created FROM inserted
     UNION ALL
     SELECT ${columns}, false FROM customers WHERE tenant_id = $1 AND email IN (SELECT email FROM input)
       AND id NOT IN (SELECT id FROM inserted)`,
    [tenantId, customers.map((c) => c.email), customers.map((c) => c.name)],
  );
  return rows;
}

export async function findCustomerByEmail(ex: Executor, tenantId: string, email: string): Promise<Customer | undefined> {
  const { rows } = await ex.query<Customer>(`SELECT ${columns} FROM customers WHERE tenant_id = $1 AND email = lower($2)`, [tenantId, email]);
  return rows[0];
}
