import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { errorResponses } from '../../http/schemas.js';
import { SIGNATURE_HEADER } from './gateway/index.js';
import { receiveWebhooks } from './webhook.js';

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
        body: z.string(),
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
