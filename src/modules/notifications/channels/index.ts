import type { AppContext } from '../../../context.js';
import type { Channel } from '../notification.types.js';
import type { ChannelSender } from './channel.js';
import { emailChannel } from './email.channel.js';
import { logChannel } from './log.channel.js';
import { webhookChannel } from './webhook.channel.js';

export type { ChannelSender, OutgoingMessage } from './channel.js';

const senders = new WeakMap<AppContext, Record<Channel, ChannelSender>>();

/** The channels of this process, built once per context from NOTIFY_* and SMTP_URL. */
export function channelsOf(ctx: AppContext): Record<Channel, ChannelSender> {
  let built = senders.get(ctx);
  if (built) return built;
  const n = ctx.config.notify;
  built = {
    email: emailChannel({ smtpUrl: n.smtpUrl, from: n.from, operatorEmail: n.operatorEmail, dataDir: ctx.config.dataDir }),
    sms: webhookChannel('sms', n.smsWebhookUrl, ctx.config.secret),
    push: webhookChannel('push', n.pushWebhookUrl, ctx.config.secret),
    log: logChannel(ctx.logger),
  };
  senders.set(ctx, built);
  return built;
}
