import type { Executor } from '../../platform/db/types.js';
import type { Result } from '../../platform/errors.js';

/**
 * A tenant's zone is read twice: by SQL (`AT TIME ZONE`, the day an analytics row counts on) and
 * by Node's Intl (which day is today there). Accept only a zone both know: Node takes names the
 * database dropped (US/Pacific-New), and the database knows names Node refuses (Factory,
 * posix/...). Either mismatch, stored, turns every analytics read into a 500.
 *
 * The value is the database's own spelling ("europe/paris" -> "Europe/Paris"), so what is stored
 * and shown is the canonical name whatever case the caller typed.
 */
export async function checkTimeZone(ex: Executor, zone: string): Promise<Result<string>> {
  const canonical = await timeZoneNamed(ex, zone);
  if (canonical === undefined || !intlKnows(canonical)) {
    return { ok: false, reason: `"${zone}" is not a time zone the database knows; use an IANA name such as Europe/Paris or UTC.` };
  }
  return { ok: true, value: canonical };
}

/** The database's spelling of a zone name, matched case-insensitively (PostgreSQL resolves zones that way too). */
async function timeZoneNamed(ex: Executor, zone: string): Promise<string | undefined> {
  const { rows } = await ex.query<{ name: string }>(`SELECT name FROM pg_timezone_names WHERE lower(name) = lower($1) ORDER BY name LIMIT 1`, [zone]);
  return rows[0]?.name;
}

function intlKnows(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
