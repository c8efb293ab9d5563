import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { ROLES } from '../auth/api-key.js';
import { bodyObject, errorResponses } from '../../http/schemas.js';
import { DomainError } from '../../platform/errors.js';
import type { AppModule } from '../module.js';
import { findTenantById, updateTenant } from './tenant.repository.js';
import { rebuildTenantKpis } from '../analytics/kpi.rebuild.js';
import { checkTimeZone } from './time-zone.js';

const tenantDto = z.object({ id: z.uuid(), slug: z.string(), name: z.string(), timeZone: z.string() });
const callerTenantDto = tenantDto.extend({
  role: z.enum(ROLES).describe('the role of the key that asked, so a client offers only what that key may do (the dashboard hides the import form from a viewer)'),
});

/** Same shape as a schema validation error, for a check that needs the database. */
function invalidBody(field: string, message: string): DomainError {
  return new DomainError('INVALID_DATA', `body.${field}: ${message}`, { issues: [{ field: `body.${field}`, message }] });
}

/** A key sees and manages only its own tenant; tenants are created with `ordersys keys create --tenant`. */
const routes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const load = async (id: string) => (await findTenantById(ctx.db, id))!;

  app.get(
    '/tenant',
    { schema: { tags: ['tenants'], summary: "The caller's tenant, and the role of the caller's key", response: { 200: callerTenantDto, ...errorResponses(401) } } },
    async (req) => ({ ...(await load(tenantOf(req))), role: req.auth!.role }),
  );

  app.patch(
    '/tenant',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['tenants'],
        summary: 'Rename the tenant or change its time zone (the day KPIs count on)',
        body: bodyObject({
          name: z.string().trim().min(1).max(200).optional(),
          timeZone: z
            .string()
            .trim()
            .min(1)
            .max(100)
            .optional()
            .describe('IANA time zone the database knows (pg_timezone_names), such as Europe/Paris; any case, stored in its canonical spelling'),
        }),
        response: { 200: tenantDto, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const id = tenantOf(req);
      let timeZone: string | undefined;
      if (req.body.timeZone !== undefined) {
        const checked = await checkTimeZone(ctx.db, req.body.timeZone);
        if (!checked.ok) throw invalidBody('timeZone', checked.reason);
        timeZone = checked.value;
      }
      const before = timeZone === undefined ? undefined : await load(id);
      await updateTenant(ctx.db, id, { name: req.body.name, timeZone });
      // Live KPIs are days cut in the zone: recut them now, so the next read is in the new zone.
      // Best effort: the projector finds the zone changed on its next run and rebuilds anyway.
      if (ctx.redis && before && before.timeZone !== timeZone) {
        await rebuildTenantKpis(ctx.db, ctx.redis, id).catch((err: unknown) =>
          req.log.warn({ err }, 'could not rebuild the live KPIs in the new time zone; the projector will'),
        );
      }
      return load(id);
    },
  );
};

export const tenantsModule: AppModule = { name: 'tenants', routes };
