import { describe, expect, it } from 'vitest';
import { mintStreamToken, STREAM_TOKEN_TTL_SECONDS, verifyStreamToken } from './stream-token.js';

const secret = 'a-secret-of-at-least-32-characters-000';
const grant = { tenantId: '0b8f7f0e-6c1f-4a0e-9a55-1f1f1f1f1f1f', keyId: '5d2b1c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f' };

describe('stream tokens', () => {
  it('carry the tenant and key they were minted for until they expire', () => {
    const now = Date.UTC(2025, 0, 1);
    const { token, expiresAt } = mintStreamToken(secret, grant, now);
    expect(expiresAt).toBe(now / 1000 + STREAM_TOKEN_TTL_SECONDS);
    expect(verifyStreamToken(secret, token, now + 59_000)).toEqual({ ...grant, expiresAt });
    expect(verifyStreamToken(secret, token, now + STREAM_TOKEN_TTL_SECONDS * 1000)).toEqual({ refused: 'expired' });
  });

  it('are refused when signed with another secret or altered', () => {
    const { token } = mintStreamToken(secret, grant);
    expect(verifyStreamToken(`${secret}x`, token)).toEqual({ refused: 'bad signature' });
    const [payload, mac] = token.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify({ t: 'someone-else', k: grant.keyId, e: 9_999_999_999 })).toString('base64url');
    expect(verifyStreamToken(secret, `${other}.${mac}`)).toEqual({ refused: 'bad signature' });
    expect(verifyStreamToken(secret, payload)).toEqual({ refused: 'malformed' });
    expect(verifyStreamToken(secret, `${token}.x`)).toEqual({ refused: 'malformed' });
  });
});
