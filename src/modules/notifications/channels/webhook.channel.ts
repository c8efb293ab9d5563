import { createHmac } from 'node:crypto';
import { signPayload } from '../../payments/gateway/signature.js';
import type { ChannelSender, OutgoingMessage } from './channel.js';

export const NOTIFY_SIGNATURE_HEADER = 'X-Ordersys-Signature';

/** The key providers verify notification webhooks with, derived from the one ordersys secret. */
export function notifyWebhookKey(secret: string): string {
  return createHmac('sha256', secret).update('ordersys:notify-webhook:v1').digest('hex');
}

/**
 * SMS and push through an HTTP provider: POST JSON signed like the payment webhooks,
 * `X-Ordersys-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The Idempotency-Key
 * is the notification id, so a provider that honours it drops the duplicate a retry after a lost
 * response would otherwise cause. Any non-2xx answer is a failed attempt.
 */
export function webhookChannel(kind: 'sms' | 'push', url: string | undefined, secret: string): ChannelSender {
  const key = notifyWebhookKey(secret);
  return {
    async send(m: OutgoingMessage) {
      if (!url) throw new Error(`NOTIFY_${kind.toUpperCase()}_WEBHOOK_URL is not set, so ${kind} notifications cannot be sent`);
      const body = JSON.stringify({
        id: m.notificationId,
        channel: kind,
        type: m.type,
        tenantId: m.tenantId,
        recipient: m.recipient,
        orderCode: m.orderCode ?? null,
        title: m.rendered.subject,
        text: m.rendered.short,
      });
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': m.notificationId, [NOTIFY_SIGNATURE_HEADER]: signPayload(key, body) },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const answer = await res.text().catch(() => '');
      if (!res.ok) throw new Error(`${kind} provider answered ${res.status}: ${answer.slice(0, 200)}`);
      return res.headers.get('x-message-id') ?? `http ${res.status}`;
    },
  };
}
