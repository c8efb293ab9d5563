import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';

/** What a feature folder plugs into the app: its routes and its job handlers. */
export interface AppModule {
  readonly name: string;
  /** Registered under the API; receives the context through the plugin options. */
  readonly routes?: FastifyPluginAsyncZod<{ ctx: AppContext }>;
  /** Called in worker processes: subscribe handlers with ctx.queue.work(...) and schedules. */
  readonly jobs?: (ctx: AppContext) => Promise<void>;
}
