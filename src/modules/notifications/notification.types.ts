import type { NOTIFY_CHANNEL_NAMES } from '../../config/config.schema.js';

export const NOTIFICATION_TYPES = [
  'order_confirmation',
  'payment_failed',
  'order_cancelled',
  'order_shipped',
  'order_delivered',
  'refund_processed',
  'import_finished',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const NOTIFICATION_STATUSES = ['queued', 'sent', 'failed'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export type Channel = (typeof NOTIFY_CHANNEL_NAMES)[number];
export const CHANNELS: readonly Channel[] = ['email', 'sms', 'push', 'log'];

/** Order notifications caused by a status change. */
export type OrderNotificationType = Exclude<NotificationType, 'refund_processed' | 'import_finished'>;

/**
 * What a caller asks for, inside the transaction of the change that causes it. Each becomes one
 * row per channel of the tenant, deduplicated by (tenant, dedupe key): asking twice is harmless.
 */
export type NotificationRequest =
  | { type: OrderNotificationType; orderId: string }
  | { type: 'refund_processed'; orderId: string; refundId: string; amount: number; currency: string }
  | { type: 'import_finished'; importId: string };

export interface Notification {
  id: string;
  tenantId: string;
  orderId: string | null;
  dedupeKey: string;
  type: NotificationType;
  channel: Channel;
  recipient: string;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  dueAt: Date;
}

/** Recipient of operator notifications; resolved to an address when delivered. */
export const OPERATORS = 'operators';
