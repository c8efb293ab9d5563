import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { AppModule } from '../module.js';

const tenantDto = z.object({ id: z.uuid(), slug: z.string(), name: z.string(), timeZone: z.string() });

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A key sees and manages only its own tenant; tenants are created with `ordersys keys create --tenant`. */
const routes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const load = async (id: string) =>
    (await ctx.db.query<z.infer<typeof tenantDto>>(`SELECT id, slug, name, time_zone AS "timeZone" FROM tenants WHERE id = $1`, [id])).rows[0]!;

  app.get('/tenant', { schema: { tags: ['tenants'], summary: "The caller's tenant", response: { 200: tenantDto, ...errorResponses(401) } } }, async (req) =>
    load(tenantOf(req)),
  );

  app.patch(
    '/tenant',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['tenants'],
        summary: 'Rename the tenant or change its time zone (the day KPIs count on)',
        body: z.object({
          name: z.string().trim().min(1).max(200).optional(),
          timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').optional(),
        }),
        response: { 200: tenantDto, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const id = tenantOf(req);
      await ctx.db.query(`UPDATE tenants SET name = COALESCE($2, name), time_zone = COALESCE($3, time_zone) WHERE id = $1`, [
        id,
        req.body.name ?? null,
        req.body.timeZone ?? null,
      ]);
      return load(id);
    },
  );
};

export const tenantsModule: AppModule = { name: 'tenants', routes };
