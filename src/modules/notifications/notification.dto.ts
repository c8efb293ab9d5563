import { z } from 'zod';
import type { AttemptRecord, NotificationTotals } from './notification.repository.js';
import { CHANNELS, NOTIFICATION_STATUSES, NOTIFICATION_TYPES, type Notification } from './notification.types.js';

const iso = z.string().describe('ISO 8601 timestamp');

export const notificationDto = z.object({
  id: z.uuid(),
  orderId: z.uuid().nullable(),
  type: z.enum(NOTIFICATION_TYPES),
  channel: z.enum(CHANNELS as ['email', 'sms', 'push', 'log']),
  recipient: z.string(),
  status: z.enum(NOTIFICATION_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  createdAt: iso,
  updatedAt: iso,
  sentAt: iso.nullable(),
  nextAttemptAt: iso.nullable().describe('when a queued notification is tried next'),
});

export const totalsDto = z.object({
  total: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  byType: z.record(z.string(), z.number().int()),
  byChannel: z.record(z.string(), z.number().int()),
});

export const attemptDto = z.object({
  attempt: z.number().int(),
  outcome: z.enum(['sent', 'error']),
  error: z.string().nullable(),
  providerRef: z.string().nullable(),
  startedAt: iso,
  finishedAt: iso,
});

export function toNotificationDto(n: Notification): z.infer<typeof notificationDto> {
  return {
    id: n.id,
    orderId: n.orderId,
    type: n.type,
    channel: n.channel,
    recipient: n.recipient,
    status: n.status,
    attempts: n.attempts,
    lastError: n.lastError,
    payload: n.payload,
    createdAt: n.createdAt.toISOString(),
    updatedAt: n.updatedAt.toISOString(),
    sentAt: n.sentAt?.toISOString() ?? null,
    nextAttemptAt: n.status === 'queued' ? n.dueAt.toISOString() : null,
  };
}

export function toTotalsDto(t: NotificationTotals): z.infer<typeof totalsDto> {
  return { total: t.total, byStatus: t.byStatus, byType: t.byType as Record<string, number>, byChannel: t.byChannel as Record<string, number> };
}

export function toAttemptDto(a: AttemptRecord): z.infer<typeof attemptDto> {
  return { ...a, startedAt: a.startedAt.toISOString(), finishedAt: a.finishedAt.toISOString() };
}
