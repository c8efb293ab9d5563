import type { GatewayEvent } from './events.js';
import { SIGNATURE_HEADER } from './signature.js';

/*
 * How the simulator hands a signed event to the app. `deliver` is either httpTransport (a real
 * POST /webhooks/payments) or an in-process call to the same handler: both get the same bytes.
 */

export interface SignedDelivery {
  event: GatewayEvent;
  rawBody: string;
  signatureHeader: string;
}
export type Transport = (event: GatewayEvent, signed: { rawBody: string; signatureHeader: string }) => Promise<void>;
export type BatchTransport = (deliveries: readonly SignedDelivery[]) => Promise<void>;
export interface DeliveryFailure {
  event: GatewayEvent;
  attempt: number;
  error: unknown;
  willRetry: boolean;
}

/*
 * Delivers to POST /webhooks/payments over HTTP with the exact bytes that were signed. Any non-2xx
 * throws, which the delivery queue turns into a retry with backoff, as real gateways do.
 */

export class WebhookDeliveryError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    body: string,
  ) {
    super(`webhook POST ${url} answered ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'WebhookDeliveryError';
  }
}

export function httpTransport(
  url: string | URL,
  fetchImpl: typeof fetch = fetch,
  { timeoutMs = 10_000 }: { timeoutMs?: number } = {},
): Transport {
  const target = String(url);
  return async (_event, { rawBody, signatureHeader }) => {
    const response = await fetchImpl(target, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signatureHeader },
      body: rawBody,
      // A hung receiver must become a retry, not a delivery stuck forever in flight.
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read the body either way so the keep-alive socket is released.
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new WebhookDeliveryError(target, response.status, text);
  };
}
