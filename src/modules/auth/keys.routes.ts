import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { idempotent, shownOnce } from '../../http/idempotency.js';
import { bodyObject, errorResponses, idParams } from '../../http/schemas.js';
import { notFound } from '../../platform/errors.js';
import type { AppModule } from '../module.js';
import { ROLES } from './api-key.js';
import { apiKeyCache } from './api-key.cache.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from './api-key.repository.js';

const keyDto = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(ROLES),
  prefix: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
const toDto = (k: ApiKeyRecord) => ({ ...k, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null });

const routes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/keys',
    { config: { role: 'admin' }, schema: { tags: ['keys'], summary: "The tenant's API keys (never the secrets)", response: { 200: z.object({ items: z.array(keyDto) }), ...errorResponses(401, 403) } } },
    async (req) => ({ items: (await listApiKeys(ctx.db, tenantOf(req))).map(toDto) }),
  );

  app.post(
    '/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'Create an API key; the key is in this response only (an Idempotency-Key replay answers without it)',
        headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
        body: bodyObject({ role: z.enum(ROLES), name: z.string().trim().min(1).max(200) }),
        response: {
          201: keyDto.extend({ key: z.string().optional().describe('The secret, shown in this response only: never stored, absent from replays') }),
          ...errorResponses(400, 401, 403, 422),
        },
      },
    },
    async (req, reply) =>
      idempotent(ctx, req, reply, { required: false, scope: 'POST /keys' }, async (tx) => {
        const { key, record } = await createApiKey(tx, tenantOf(req), req.body.role, req.body.name);
        return { status: 201, body: shownOnce(toDto(record), { key }) };
      }),
  );

  app.delete(
    '/keys/:id',
    { config: { role: 'admin' }, schema: { tags: ['keys'], summary: 'Revoke a key; the API process that answers refuses it at once, any other API process within 5 s', params: idParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } } },
    async (req, reply) => {
      if (!(await revokeApiKey(ctx.db, tenantOf(req), req.params.id))) throw notFound('API key', req.params.id);
      apiKeyCache(ctx).forget(req.params.id);
      return reply.code(204).send(null);
    },
  );
};

export const keysModule: AppModule = { name: 'keys', routes };
