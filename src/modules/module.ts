import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';

/** What a feature folder plugs into the app: its routes and its job handlers. */
export interface AppModule {
  readonly name: string;
  /** Registered under the API; receives the context through the plugin options. */
  readonly routes?: FastifyPluginAsyncZod<{ ctx: AppContext }>;
  /** Called in worker processes: subscribe handlers with ctx.queue.work(...) and schedules. */
  readonly jobs?: (ctx: AppContext) => Promise<void>;
  /** Called once the context exists, in every process role (bind process-wide hooks). */
  readonly init?: (ctx: AppContext) => Promise<void> | void;
  /** Called on shutdown before the queue, Redis and the database close: stop loops, finish work in flight. */
  readonly stop?: (ctx: AppContext) => Promise<void>;
}
