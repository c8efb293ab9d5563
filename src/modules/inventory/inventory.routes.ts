import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { bodyObject, errorResponses } from '../../http/schemas.js';
import type { AppModule } from '../module.js';
import { adjustStock, listStock, STOCK_MAX, STOCK_MIN, stockOf } from './inventory.service.js';

const stockDto = z.object({
  sku: z.string(),
  name: z.string(),
  price: z.number().int(),
  currency: z.string(),
  onHand: z.number().int(),
  reserved: z.number().int(),
  available: z.number().int(),
  lowStockThreshold: z.number().int(),
});
const skuParam = z.object({ sku: z.string().trim().min(1).max(64) });

const routes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/inventory',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Stock levels, lowest availability first',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), offset: z.coerce.number().int().min(0).default(0) }),
        response: { 200: z.object({ items: z.array(stockDto) }), ...errorResponses(400, 401) },
      },
    },
    async (req) => ({ items: await listStock(ctx.db, tenantOf(req), req.query.limit, req.query.offset) }),
  );

  app.get(
    '/inventory/:sku',
    { schema: { tags: ['inventory'], summary: 'On hand, reserved and available for one SKU', params: skuParam, response: { 200: stockDto, ...errorResponses(400, 401, 404) } } },
    async (req) => stockOf(ctx.db, tenantOf(req), req.params.sku),
  );

  app.post(
    '/inventory/:sku/adjust',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['inventory'],
        summary: 'Restock or correct stock, with a reason kept in the stock ledger',
        params: skuParam,
        body: bodyObject({
          // int4, like the stock columns: a delta beyond it could only fail in the database.
          delta: z.int32({ error: `must be a whole number of units from ${STOCK_MIN} to ${STOCK_MAX}` }).refine((d) => d !== 0, 'must not be 0'),
          kind: z.enum(['restock', 'correction']).default('restock'),
          reason: z.string().trim().min(1).max(500),
        }),
        response: { 200: stockDto, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => ctx.db.transaction((tx) => adjustStock(tx, tenantOf(req), req.params.sku, req.body.delta, req.body.kind, req.body.reason)),
  );
};

export const inventoryModule: AppModule = { name: 'inventory', routes };
