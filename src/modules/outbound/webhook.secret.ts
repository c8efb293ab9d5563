import { createHmac, randomBytes } from 'node:crypto';

/*
 * A subscription's signing secret is derived, not stored: HMAC(ORDERSYS_SECRET, id:salt). The
 * database keeps only the random salt, so a copy of it cannot sign. Changing ORDERSYS_SECRET
 * changes every subscription's secret: subscribers then need the new one (re-subscribe).
 */
export function newSecretSalt(): string {
  return randomBytes(16).toString('hex');
}

export function subscriptionSecret(serverSecret: string, subscriptionId: string, salt: string): string {
  return `whsec_${createHmac('sha256', serverSecret).update(`outbound-webhook:${subscriptionId}:${salt}`).digest('hex')}`;
}

/** Delay before attempt `attempt + 1` after `attempt` failed: base, 2 base, 4 base, ... up to max. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
}
