import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * EventSource cannot send an Authorization header, and an API key in a URL ends up in logs and
 * browser history. So the page trades its key (POST /dashboard/stream-token, with the header)
 * for a token that only opens GET /dashboard/events, names one tenant and key, and expires.
 */

export const STREAM_TOKEN_TTL_SECONDS = 60;
const PURPOSE = 'ordersys:dashboard-stream:v1';

export interface StreamGrant {
  tenantId: string;
  keyId: string;
  /** Unix seconds. */
  expiresAt: number;
}

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(`${PURPOSE}.${payload}`).digest('base64url');

export function mintStreamToken(secret: string, grant: Omit<StreamGrant, 'expiresAt'>, now = Date.now()): { token: string; expiresAt: number } {
  const expiresAt = Math.floor(now / 1000) + STREAM_TOKEN_TTL_SECONDS;
  const payload = Buffer.from(JSON.stringify({ t: grant.tenantId, k: grant.keyId, e: expiresAt })).toString('base64url');
  return { token: `${payload}.${sign(secret, payload)}`, expiresAt };
}

/** The grant, or the reason the token is refused. */
export function verifyStreamToken(secret: string, token: string, now = Date.now()): StreamGrant | { refused: string } {
  const [payload, mac, extra] = token.split('.');
  if (!payload || !mac || extra !== undefined) return { refused: 'malformed' };
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { refused: 'bad signature' };
  let fields: { t?: unknown; k?: unknown; e?: unknown };
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof fields;
  } catch {
    return { refused: 'malformed' };
  }
  if (typeof fields.t !== 'string' || typeof fields.k !== 'string' || typeof fields.e !== 'number') return { refused: 'malformed' };
  if (fields.e * 1000 <= now) return { refused: 'expired' };
  return { tenantId: fields.t, keyId: fields.k, expiresAt: fields.e };
}
