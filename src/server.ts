import type { Config } from './config/config.js';
import { resolveSecret } from './config/secret.js';
import { closeContext, createContext, type AppContext } from './context.js';
import { buildApp, type App } from './http/app.js';
import { createLogger } from './platform/logger.js';
import { ensureTenant } from './modules/tenants/tenant.repository.js';
import { startWorkers } from './worker.js';

export type ServeRole = 'api' | 'worker' | 'all';

export interface RunningServer {
  ctx: AppContext;
  app: App | undefined;
  url: string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts one process role. 'all' is the embedded default: API, workers and scheduler together.
 * On PostgreSQL, run any number of 'api' and 'worker' processes against the same database.
 */
export async function startServer(rawConfig: Config, role: ServeRole, onReady?: (ctx: AppContext) => Promise<void>): Promise<RunningServer> {
  const config = resolveSecret(rawConfig);
  const logger = createLogger(config.logLevel);
  const ctx = await createContext(config, logger, role);
  let app: App | undefined;
  let url: string | undefined;
  try {
    await ensureTenant(ctx.db, config.defaultTenant);
    if (onReady) await onReady(ctx);
    if (role !== 'api') await startWorkers(ctx);
    if (role !== 'worker') {
      app = await buildApp(ctx);
      url = await app.listen({ host: config.http.host, port: config.http.port });
    }
  } catch (err) {
    await app?.close();
    await closeContext(ctx);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info({ role }, 'draining: no new requests or jobs; finishing in-flight work');
      await app?.close();
      await closeContext(ctx);
      logger.info('stopped cleanly');
    })());
  return { ctx, app, url, stop };
}

/** SIGINT/SIGTERM drain the process; a second signal exits at once. */
export function stopOnSignals(server: RunningServer): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      server.ctx.logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(130);
    }
    signalled = true;
    server.stop().then(
      () => process.exit(0),
      (err) => {
        server.ctx.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
