import type { Executor } from '../../platform/db/types.js';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  timeZone: string;
}

const columns = `id, slug, name, time_zone AS "timeZone"`;

export async function findTenantBySlug(ex: Executor, slug: string): Promise<Tenant | undefined> {
  const { rows } = await ex.query<Tenant>(`SELECT ${columns} FROM tenants WHERE slug = $1`, [slug]);
  return rows[0];
}

export async function listTenants(ex: Executor): Promise<Tenant[]> {
  return (await ex.query<Tenant>(`SELECT ${columns} FROM tenants ORDER BY slug`)).rows;
}

/** Creates the tenant unless it exists; safe to call from several processes at once. */
export async function ensureTenant(ex: Executor, slug: string, name = slug, timeZone = 'UTC'): Promise<Tenant> {
  await ex.query(`INSERT INTO tenants (slug, name, time_zone) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING`, [slug, name, timeZone]);
  const tenant = await findTenantBySlug(ex, slug);
  if (!tenant) throw new Error(`tenant ${slug} vanished right after it was created`);
  return tenant;
}
