import type { Logger } from '../../../platform/logger.js';
import type { ChannelSender, OutgoingMessage } from './channel.js';

/** Writes the notification to the process log: a channel that needs no provider. */
export function logChannel(logger: Logger): ChannelSender {
  return {
    async send(m: OutgoingMessage) {
      logger.info({ notification: m.notificationId, type: m.type, recipient: m.recipient, tenant: m.tenantId }, m.rendered.short);
      return null;
    },
  };
}
