import type { Config } from '../../config/config.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Database } from './types.js';

export type { Database, Executor, Transaction, QueryResult, Row } from './types.js';

/** The one place that decides between embedded PGlite and PostgreSQL. */
export function openDatabase(config: Config, applicationName?: string): Promise<Database> {
  return config.database.kind === 'postgres'
    ? openPostgres(config.database.url, config.database.poolMax, applicationName)
    : openPglite(config.database.dataDir);
}
