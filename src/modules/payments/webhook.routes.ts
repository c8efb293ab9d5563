import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { errorResponses } from '../../http/schemas.js';
import { SIGNATURE_HEADER } from './gateway/index.js';
import { receiveWebhooks } from './webhook.js';

const EVENT_EXAMPLE = JSON.stringify({
  id: 'evt_1042',
  type: 'payment.succeeded',
  created: 1714557600,
  data: { payment_id: 'c5e7a9b1-3d5f-4b7d-9f1b-5d7f9b1d3f33', order_id: '3b1f6c2e-8d4a-4f7b-9c2d-5e6a7b8c9d01', tenant_id: '5e7c9a1f-6b8d-4f0a-8c2e-4a6c8e0a2c66', amount: 2500, currency: 'EUR' },
});

/**
 * Gateway callbacks. No API key: the Stripe-style signature over the exact raw bytes is the
 * authentication, so this plugin keeps the body as the string that was signed.
 */
export const webhookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post(
    '/webhooks/payments',
    {
      config: { role: false, rateLimit: false },
      schema: {
        tags: ['payments'],
        summary: 'Payment gateway webhook (signed like Stripe: t=...,v1=HMAC-SHA256 of "t.body")',
        headers: z.object({ [SIGNATURE_HEADER.toLowerCase()]: z.string().optional() }),
        body: z
          .string()
          .describe('The gateway event as raw JSON, byte for byte as signed')
          .meta({ examples: [EVENT_EXAMPLE] }),
        response: { 200: z.object({ received: z.boolean(), applied: z.boolean() }), ...errorResponses(400) },
      },
    },
    async (req) => {
      const header = req.headers[SIGNATURE_HEADER.toLowerCase()];
      const applied = await receiveWebhooks(ctx, [{ rawBody: req.body, signatureHeader: typeof header === 'string' ? header : undefined }]);
      return { received: true, applied: applied > 0 };
    },
  );
};
