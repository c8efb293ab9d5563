import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { modules } from '../modules/index.js';
import { authHook } from './auth.js';
import { errorHandler, frameworkErrorHandler } from './error-handler.js';
import { refuseUnstorableText } from './text-guard.js';
import { registerOpenapi } from './openapi.js';
import { registerRateLimit } from './rate-limit.js';

/** Builds the HTTP API from the module plugins. Does not listen: callers (server, tests) decide. */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export async function buildApp(ctx: AppContext): Promise<App> {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    connectionTimeout: 0,
    // Long enough for a large CSV upload to stream through phase 1 of an import.
    requestTimeout: 600_000,
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}.` } }),
  );

  app.addHook('onRequest', authHook(ctx));
  app.addHook('preValidation', refuseUnstorableText);
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.httpDuration
      .labels(req.method, req.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  await registerRateLimit(app, ctx);
  await registerOpenapi(app);

  for (const module of modules) {
    if (module.routes) await app.register(module.routes, { ctx });
  }
  return app;
}
