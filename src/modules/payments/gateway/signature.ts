import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Stripe-style webhook signatures: `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256("<t>.<body>")>`.
 * The HMAC covers the raw bytes as sent: verify before JSON.parse, on the exact buffer received,
 * because re-serialising parsed JSON changes bytes and breaks (or worse, fakes) the match.
 */

/** Fastify lower-cases incoming header names: read `request.headers[SIGNATURE_HEADER.toLowerCase()]`. */
export const SIGNATURE_HEADER = 'Stripe-Signature';
export const DEFAULT_TOLERANCE_SEC = 300;

export type VerifyResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch'; message: string };

export interface VerifyOptions {
  toleranceSec?: number;
  nowSec?: number;
}

function hmacHex(secret: string, timestampSec: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(rawBody).digest('hex');
}

/**
 * Signs with one or several secrets; several give several v1 entries, which is how a sender
 * rotates secrets without a window where receivers on the old secret reject everything.
 */
export function signPayload(
  secret: string | readonly string[],
  rawBody: string | Buffer,
  timestampSec: number = Math.floor(Date.now() / 1000),
): string {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return [`t=${timestampSec}`, ...secrets.map((s) => `v1=${hmacHex(s, timestampSec, rawBody)}`)].join(',');
}

/**
 * Accepts when any v1 entry matches any of the given secrets (rotation on either side).
 * The signature is checked before the timestamp, so `stale` is only ever reported for a
 * genuine but replayed or delayed message, never for a forgery.
 */
export function verifySignature(
  secret: string | readonly string[],
  rawBody: string | Buffer,
  header: string | readonly string[] | null | undefined,
  { toleranceSec = DEFAULT_TOLERANCE_SEC, nowSec = Math.floor(Date.now() / 1000) }: VerifyOptions = {},
): VerifyResult {
  if (header === undefined || header === null || header === '' || (Array.isArray(header) && header.length === 0)) {
    return { ok: false, reason: 'missing', message: `${SIGNATURE_HEADER} header is missing; the request was not signed` };
  }
  if (typeof header !== 'string') {
    return { ok: false, reason: 'malformed', message: `${SIGNATURE_HEADER} header was sent more than once` };
  }
  const parsed = parseHeader(header);
  if (!parsed) {
    return {
      ok: false,
      reason: 'malformed',
      message: `${SIGNATURE_HEADER} header must look like "t=<unix seconds>,v1=<hex hmac>"`,
    };
  }
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const matched = secrets.some((s) => {
    const expected = Buffer.from(hmacHex(s, parsed.timestamp, rawBody), 'hex');
    return parsed.signatures.some((candidate) => safeEqual(expected, candidate));
  });
  if (!matched) {
    return { ok: false, reason: 'mismatch', message: 'signature does not match the body; check the webhook secret' };
  }
  const age = nowSec - parsed.timestamp;
  if (Math.abs(age) > toleranceSec) {
    const when = age > 0 ? `${age}s old` : `${-age}s in the future`;
    return {
      ok: false,
      reason: 'stale',
      message: `signature timestamp is ${when}, beyond the ${toleranceSec}s tolerance; check clocks or replay`,
    };
  }
  return { ok: true, timestamp: parsed.timestamp };
}

function parseHeader(header: string): { timestamp: number; signatures: Buffer[] } | null {
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]+$/i.test(value) || value.length % 2 !== 0) return null;
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (Stripe's v0 test signatures) are ignored, as Stripe's own libraries do.
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

// timingSafeEqual throws on unequal lengths; a length difference reveals nothing secret.
function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
