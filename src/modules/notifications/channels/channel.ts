import type { Rendered } from '../notification.templates.js';
import type { Channel, NotificationType } from '../notification.types.js';

export interface OutgoingMessage {
  notificationId: string;
  tenantId: string;
  type: NotificationType;
  channel: Channel;
  /** Email address, customer id (SMS, push) or 'operators'. */
  recipient: string;
  attempt: number;
  rendered: Rendered;
  orderCode: string | undefined;
}

/** A delivery channel: resolves when the provider accepted the message, throws when it did not. */
export interface ChannelSender {
  /** Returns the provider's reference for what it accepted (message id, file path), if any. */
  send(message: OutgoingMessage): Promise<string | null>;
  close?(): void;
}
