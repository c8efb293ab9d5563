import { ConfigError } from '../config/config.js';
import { DataDirectoryInUseError } from '../platform/db/pglite-lock.js';
import { DomainError } from '../platform/errors.js';

/** Prints what a user can act on, without a stack; bugs keep their stack. Returns the exit code. */
export function reportCliError(err: unknown): number {
  if (err instanceof ConfigError || err instanceof DataDirectoryInUseError) {
    console.error(`ordersys: ${err.message}`);
    return 2;
  }
  if (err instanceof DomainError) {
    console.error(`ordersys: ${err.message}`);
    return 1;
  }
  if (err instanceof Error && 'code' in err && err.code === 'ECONNREFUSED') {
    console.error(`ordersys: cannot reach the database (${err.message}). Is PostgreSQL running, and DATABASE_URL right?`);
    return 2;
  }
  console.error(err);
  return 1;
}
