import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import type { AppModule } from '../module.js';
import { dashboardRoutes } from './dashboard.routes.js';
import { staticRoutes } from './static.routes.js';

const routes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  await app.register(staticRoutes, { ctx });
  await app.register(dashboardRoutes, { ctx });
};

/** The operations dashboard: the browser app in web/, its overview data and live event stream. */
export const dashboardModule: AppModule = { name: 'dashboard', routes };
