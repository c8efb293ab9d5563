import { describe, expect, it } from 'vitest';
import { signPayload, verifySignature } from './signature.js';

const secret = 'whsec_test_0123456789abcdef';
const body = JSON.stringify({ id: 'evt_1', type: 'payment.succeeded', amount: 1999 });
const now = 1_750_000_000;

describe('webhook signatures', () => {
  describe('signPayload', () => {
    it('produces t=<seconds>,v1=<64 hex chars>', () => {
      expect(signPayload(secret, body, now)).toMatch(/^t=1750000000,v1=[0-9a-f]{64}$/);
    });

    it('signs a Buffer and the equal string identically', () => {
      expect(signPayload(secret, Buffer.from(body), now)).toBe(signPayload(secret, body, now));
    });
  });

  describe('verifySignature', () => {
    it('accepts what signPayload produced and returns the timestamp', () => {
      const header = signPayload(secret, body, now);
      expect(verifySignature(secret, body, header, { nowSec: now })).toEqual({ ok: true, timestamp: now });
      expect(verifySignature(secret, Buffer.from(body), header, { nowSec: now + 10 })).toMatchObject({ ok: true });
    });

    it('refuses a tampered body as mismatch', () => {
      const header = signPayload(secret, body, now);
      const tampered = body.replace('1999', '1');
      expect(verifySignature(secret, tampered, header, { nowSec: now })).toMatchObject({ ok: false, reason: 'mismatch' });
    });

    it('refuses a signature made with another secret as mismatch', () => {
      const header = signPayload('whsec_other', body, now);
      expect(verifySignature(secret, body, header, { nowSec: now })).toMatchObject({ ok: false, reason: 'mismatch' });
    });

    it('refuses a timestamp older than the tolerance as stale', () => {
      const header = signPayload(secret, body, now - 301);
      const result = verifySignature(secret, body, header, { nowSec: now });
      expect(result).toMatchObject({ ok: false, reason: 'stale' });
      expect(result.ok || result.message).toContain('301s old');
      expect(verifySignature(secret, body, signPayload(secret, body, now - 300), { nowSec: now }).ok).toBe(true);
    });

    it('refuses a timestamp further in the future than the tolerance as stale', () => {
      const header = signPayload(secret, body, now + 61);
      const result = verifySignature(secret, body, header, { nowSec: now, toleranceSec: 60 });
      expect(result).toMatchObject({ ok: false, reason: 'stale' });
      expect(result.ok || result.message).toContain('in the future');
    });

    it('reports a forged old message as mismatch, not stale', () => {
      const header = signPayload('whsec_other', body, now - 10_000);
      expect(verifySignature(secret, body, header, { nowSec: now })).toMatchObject({ reason: 'mismatch' });
    });

    it.each([undefined, null, '', [] as string[]])('refuses a missing header (%j)', (header) => {
      expect(verifySignature(secret, body, header, { nowSec: now })).toMatchObject({ ok: false, reason: 'missing' });
    });

    it.each([
      'garbage',
      `v1=${'a'.repeat(64)}`, // no timestamp
      `t=${now}`, // no signature
      `t=abc,v1=${'a'.repeat(64)}`,
      `t=${now},v1=not-hex`,
      `t=${now},v1=abc`, // odd length
      `t=${now},=x`,
    ])('refuses the malformed header %j', (header) => {
      expect(verifySignature(secret, body, header, { nowSec: now })).toMatchObject({ ok: false, reason: 'malformed' });
    });

    it('refuses a header sent twice as malformed', () => {
      const header = signPayload(secret, body, now);
      expect(verifySignature(secret, body, [header, header], { nowSec: now })).toMatchObject({ reason: 'malformed' });
    });

    it('treats a v1 of the wrong length as a mismatch without throwing', () => {
      expect(verifySignature(secret, body, `t=${now},v1=abcd`, { nowSec: now })).toMatchObject({ reason: 'mismatch' });
    });

    it('accepts a header with several v1 entries when any one matches (sender rotating)', () => {
      const header = signPayload(['whsec_old', secret], body, now);
      expect(header.match(/v1=/g)).toHaveLength(2);
      expect(verifySignature(secret, body, header, { nowSec: now }).ok).toBe(true);
      expect(verifySignature('whsec_old', body, header, { nowSec: now }).ok).toBe(true);
    });

    it('accepts any of several receiver secrets (receiver rotating)', () => {
      const header = signPayload(secret, body, now);
      expect(verifySignature(['whsec_new', secret], body, header, { nowSec: now }).ok).toBe(true);
    });

    it('ignores unknown schemes such as v0 next to a valid v1', () => {
      const header = `${signPayload(secret, body, now)},v0=${'b'.repeat(64)}`;
      expect(verifySignature(secret, body, header, { nowSec: now }).ok).toBe(true);
    });
  });
});
