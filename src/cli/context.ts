import { loadConfig } from '../config/config.js';
import { resolveSecret } from '../config/secret.js';
import { closeContext, createContext, type AppContext } from '../context.js';
import { createLogger } from '../platform/logger.js';

/** Opens the database (migrating it) for one CLI command and always closes it again. */
export async function withContext<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const config = resolveSecret(loadConfig());
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const ctx = await createContext(config, logger, 'cli');
  try {
    return await fn(ctx);
  } finally {
    await closeContext(ctx);
  }
}
