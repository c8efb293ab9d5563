import type { Executor } from '../../platform/db/types.js';
import { invalid } from '../../platform/errors.js';
import { checkTimeZone } from './time-zone.js';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  timeZone: string;
}

const columns = `id, slug, name, time_zone AS "timeZone"`;

/** tenants_slug_check (migrations/0001_init.sql), checked before SQL so a user reads the rule, not the constraint. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TENANT_SLUG_RULE = 'must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit, like "acme-eu"';

/** Throws INVALID_DATA naming `field` (`--tenant` on the command line) unless `slug` may name a tenant. */
export function checkTenantSlug(slug: string, field = 'tenant'): void {
  if (!SLUG.test(slug)) throw invalid(field, `"${slug.length > 70 ? `${slug.slice(0, 70)}…` : slug}" ${TENANT_SLUG_RULE}.`);
}

export async function findTenantBySlug(ex: Executor, slug: string): Promise<Tenant | undefined> {
  const { rows } = await ex.query<Tenant>(`SELECT ${columns} FROM tenants WHERE slug = $1`, [slug]);
  return rows[0];
}

export async function findTenantById(ex: Executor, id: string): Promise<Tenant | undefined> {
  const { rows } = await ex.query<Tenant>(`SELECT ${columns} FROM tenants WHERE id = $1`, [id]);
  return rows[0];
}

export async function listTenants(ex: Executor): Promise<Tenant[]> {
  return (await ex.query<Tenant>(`SELECT ${columns} FROM tenants ORDER BY slug`)).rows;
}

/**
 * Creates the tenant unless it exists; safe to call from several processes at once. A bad slug or
 * name is a user error naming the field, never a constraint error. A time zone, when given, goes
 * through the same check as `PATCH /tenant` (without one the tenant counts days in UTC, the
 * column default).
 */
export async function ensureTenant(ex: Executor, slug: string, name = slug, timeZone?: string): Promise<Tenant> {
  checkTenantSlug(slug);
  // tenants_name_check counts characters, as the spread does (length counts UTF-16 units).
  const nameLength = [...name].length;
  if (nameLength < 1 || nameLength > 200) throw invalid('name', `must be 1 to 200 characters (got ${nameLength}).`);
  let zone = 'UTC';
  if (timeZone !== undefined) {
    const checked = await checkTimeZone(ex, timeZone);
    if (!checked.ok) throw invalid('timeZone', checked.reason);
    zone = checked.value;
  }
  await ex.query(`INSERT INTO tenants (slug, name, time_zone) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING`, [slug, name, zone]);
  const tenant = await findTenantBySlug(ex, slug);
  if (!tenant) throw new Error(`tenant ${slug} vanished right after it was created`);
  return tenant;
}

/** `timeZone` must come from checkTimeZone: a zone the database or Intl does not know breaks analytics. */
export async function updateTenant(ex: Executor, id: string, change: { name?: string; timeZone?: string }): Promise<void> {
  await ex.query(`UPDATE tenants SET name = COALESCE($2, name), time_zone = COALESCE($3, time_zone) WHERE id = $1`, [
    id,
    change.name ?? null,
    change.timeZone ?? null,
  ]);
}
