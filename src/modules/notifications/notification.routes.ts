import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { idempotent } from '../../http/idempotency.js';
import { dayOrInstant, errorResponses, idParams } from '../../http/schemas.js';
import { notFound } from '../../platform/errors.js';
import { attemptDto, notificationDto, toAttemptDto, toNotificationDto, toTotalsDto, totalsDto } from './notification.dto.js';
import { findAttempts, findNotification } from './notification.repository.js';
import { bindNotifications } from './notification.runtime.js';
import { notificationReport, resendNotification } from './notification.service.js';
import { CHANNELS, NOTIFICATION_STATUSES, NOTIFICATION_TYPES } from './notification.types.js';

const listQuery = z.object({
  type: z.enum(NOTIFICATION_TYPES).optional(),
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  channel: z.enum(CHANNELS as ['email', 'sms', 'push', 'log']).optional(),
  orderId: z.uuid().optional(),
  since: dayOrInstant().optional().describe('created at or after (date or timestamp)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const notificationRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  bindNotifications(ctx);

  app.get(
    '/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Notification history, newest first, with totals over the whole filter',
        querystring: listQuery,
        response: {
          200: z.object({ items: z.array(notificationDto), totals: totalsDto, limit: z.number().int(), offset: z.number().int() }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (req) => {
      const { limit, offset, since, ...filter } = req.query;
      const report = await notificationReport(ctx.db, tenantOf(req), { ...filter, ...(since && { since: new Date(since) }) }, { limit, offset });
      return { items: report.items.map(toNotificationDto), totals: toTotalsDto(report.totals), limit, offset };
    },
  );

  app.get(
    '/notifications/:id',
    {
      schema: {
        tags: ['notifications'],
        summary: 'One notification with every delivery attempt',
        params: idParams,
        response: { 200: notificationDto.extend({ attemptLog: z.array(attemptDto) }), ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const tenantId = tenantOf(req);
      const n = await findNotification(ctx.db, tenantId, req.params.id);
      if (!n) throw notFound('Notification', req.params.id);
      return { ...toNotificationDto(n), attemptLog: (await findAttempts(ctx.db, tenantId, n.id)).map(toAttemptDto) };
    },
  );

  app.post(
    '/notifications/:id/resend',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['notifications'],
        summary: 'Queue a sent or failed notification again, with a fresh retry budget',
        params: idParams,
        headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
        response: { 202: notificationDto, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (req, reply) =>
      idempotent(ctx, req, reply, { required: false, scope: 'POST /notifications/:id/resend' }, async (tx) => ({
        status: 202,
        body: toNotificationDto(await resendNotification(ctx, tx, tenantOf(req), req.params.id)),
      })),
  );
};
