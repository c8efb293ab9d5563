import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { AppContext } from '../context.js';
import { findTenantBySlug, type Tenant } from '../modules/tenants/tenant.repository.js';
import { DomainError, invalid } from '../platform/errors.js';

/* Option parsers, the --tenant lookup and the --out file, shared by the commands. */

/** The tenant --tenant names (ORDERSYS_DEFAULT_TENANT when absent); a missing one is an error naming the option. */
export async function tenantOption(ctx: Pick<AppContext, 'db' | 'config'>, slug: string | undefined): Promise<Tenant> {
  const name = slug ?? ctx.config.defaultTenant;
  const tenant = await findTenantBySlug(ctx.db, name);
  if (!tenant) throw new DomainError('NOT_FOUND', `--tenant: no tenant "${name}".`);
  return tenant;
}

/** A whole number from `min` to `max`; anything else is a user error naming the option. */
export function intOption(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw invalid(name, `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}" must be a whole number ${range}.`);
    }
    return n;
  };
}

/** Failures of the --out path the user can fix, in words; any other error stays a bug with its stack. */
const OUT_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'a parent of it is not a directory',
  EISDIR: 'is a directory; give a file name',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

export function outError(file: string, err: unknown): unknown {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  const problem = OUT_PROBLEMS[code];
  return problem ? new DomainError('INVALID_DATA', `--out ${file}: ${problem}.`, { field: '--out' }) : err;
}

/** Opens --out before generating anything, so a bad path is one line naming it, not a stream error. */
export async function openOut(file: string): Promise<Writable> {
  try {
    return (await open(file, 'w')).createWriteStream();
  } catch (err) {
    throw outError(file, err);
  }
}
