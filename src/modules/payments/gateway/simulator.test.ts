import { afterEach, describe, expect, it } from 'vitest';
import { gatewayEventSchema, type GatewayEvent } from './events.js';
import type { SignedDelivery } from './transport.js';
import type { PaymentRequest } from './outcomes.js';
import { verifySignature } from './signature.js';
import { PaymentGatewaySimulator, type SimulatorOptions } from './simulator.js';

const secret = 'whsec_simulator_test_secret';
const instant = { min: 0, max: 0 };
const open: PaymentGatewaySimulator[] = [];

function payment(i: number): PaymentRequest {
  return { paymentId: `pay_${i}`, orderId: `ord_${i}`, tenantId: 'ten_1', amount: 1000 + i, currency: 'EUR' };
}
const payments = (n: number) => Array.from({ length: n }, (_, i) => payment(i));

/** A simulator whose deliveries land in `received`, closed after each test. */
function simulator(options: Partial<SimulatorOptions> = {}) {
  const received: Array<SignedDelivery & { at: number }> = [];
  const sim = new PaymentGatewaySimulator({
    secret,
    seed: 42,
    latencyMs: instant,
    deliver: async (event, signed) => {
      received.push({ event, ...signed, at: Date.now() });
    },
    ...options,
  });
  open.push(sim);
  return { sim, received, events: () => received.map((r) => r.event) };
}

const outcome = (e: GatewayEvent) => (e.type === 'payment.failed' ? `${e.type}:${e.data.decline_code}` : e.type);
const paymentId = (e: GatewayEvent) => e.data.payment_id;

afterEach(() => {
  for (const sim of open.splice(0)) sim.close();
});

describe('PaymentGatewaySimulator', () => {
  describe('authorize', () => {
    it('delivers one signed, schema-valid event per payment', async () => {
      const { sim, received } = simulator({ successRate: 0.5 });
      for (const p of payments(20)) await sim.authorize(p);
      await sim.drain();
      expect(received).toHaveLength(20);
      for (const r of received) {
        expect(verifySignature(secret, r.rawBody, r.signatureHeader).ok).toBe(true);
        expect(gatewayEventSchema.parse(JSON.parse(r.rawBody))).toEqual(r.event);
        expect(r.event.id).toMatch(/^evt_[0-9a-f]{24}$/);
      }
    });

    it('honours the success rate over 2000 payments', async () => {
      const { sim, events } = simulator({ successRate: 0.8 });
      await sim.authorizeMany(payments(2000));
      await sim.drain();
      const succeeded = events().filter((e) => e.type === 'payment.succeeded').length;
      expect(succeeded / 2000).toBeGreaterThan(0.77);
      expect(succeeded / 2000).toBeLessThan(0.83);
    });

    it('declines only with the configured codes, by weight', async () => {
      const { sim, events } = simulator({
        successRate: 0,
        declineReasons: [{ code: 'insufficient_funds', weight: 3 }, 'expired_card'],
      });
      await sim.authorizeMany(payments(400));
      await sim.drain();
      const codes = events().map((e) => (e.type === 'payment.failed' ? e.data.decline_code : 'none'));
      const insufficient = codes.filter((c) => c === 'insufficient_funds').length;
      expect(new Set(codes)).toEqual(new Set(['insufficient_funds', 'expired_card']));
      expect(insufficient / 400).toBeGreaterThan(0.68);
      expect(insufficient / 400).toBeLessThan(0.82);
    });

    it('gives the same outcomes and event ids for the same seed, whatever the call order', async () => {
      const a = simulator({ successRate: 0.5 });
      const b = simulator({ successRate: 0.5 });
      const c = simulator({ successRate: 0.5, seed: 7 });
      for (const p of payments(200)) await a.sim.authorize(p);
      await b.sim.authorizeMany(payments(200).reverse());
      await c.sim.authorizeMany(payments(200));
      await Promise.all([a.sim.drain(), b.sim.drain(), c.sim.drain()]);
      const byPayment = (events: GatewayEvent[]) =>
        Object.fromEntries(events.map((e) => [paymentId(e), `${e.id} ${outcome(e)}`]));
      expect(byPayment(b.events())).toEqual(byPayment(a.events()));
      expect(byPayment(c.events())).not.toEqual(byPayment(a.events()));
    });

    it('refuses a fractional amount before sending anything', async () => {
      const { sim, received } = simulator();
      await expect(sim.authorizeMany([payment(1), { ...payment(2), amount: 10.5 }])).rejects.toThrow(/amount must be a positive integer/);
      await sim.drain();
      expect(received).toHaveLength(0);
    });
  });

  describe('refund', () => {
    it('honours refundSuccessRate and names a reason on failure', async () => {
      const { sim, events } = simulator({ refundSuccessRate: 0 });
      await sim.refund({ ...payment(1), refundId: 'ref_1' });
      await sim.drain();
      expect(events()).toEqual([
        expect.objectContaining({
          type: 'refund.failed',
          data: expect.objectContaining({ refund_id: 'ref_1', payment_id: 'pay_1', reason: expect.any(String) }),
        }),
      ]);
    });
  });

  describe('unreliable delivery', () => {
    it('delivers duplicates twice with the same event id and bytes', async () => {
      const { sim, received } = simulator({ duplicateRate: 1, latencyMs: { min: 0, max: 5 } });
      await sim.authorizeMany(payments(10));
      await sim.drain();
      expect(received).toHaveLength(20);
      for (const p of payments(10)) {
        const copies = received.filter((r) => r.event.data.payment_id === p.paymentId);
        expect(copies).toHaveLength(2);
        expect(copies[1]!.event.id).toBe(copies[0]!.event.id);
        expect(copies[1]!.rawBody).toBe(copies[0]!.rawBody);
      }
    });

    it('keeps call order without outOfOrder and shuffles within a window with it', async () => {
      const inOrder = simulator();
      const shuffled = simulator({ outOfOrder: { windowMs: 20 } });
      for (const p of payments(30)) {
        await inOrder.sim.authorize(p);
        await shuffled.sim.authorize(p);
      }
      await Promise.all([inOrder.sim.drain(), shuffled.sim.drain()]);
      const sent = payments(30).map((p) => p.paymentId);
      expect(inOrder.events().map(paymentId)).toEqual(sent);
      expect(shuffled.events().map(paymentId)).not.toEqual(sent);
      expect([...shuffled.events().map(paymentId)].sort()).toEqual([...sent].sort());
    });

    it('holds late events back by up to maxDelayMs, and drain waits for them', async () => {
      const punctual = simulator();
      // Seed 42 draws hold-backs from 9 to 272 ms for these 20 payments.
      const late = simulator({ lateRate: 1, maxDelayMs: 300 });
      const start = Date.now();
      await punctual.sim.authorizeMany(payments(20));
      await late.sim.authorizeMany(payments(20));
      await Promise.all([punctual.sim.drain(), late.sim.drain()]);
      const elapsed = (r: { at: number }[]) => r.map((x) => x.at - start);
      expect(Math.max(...elapsed(punctual.received))).toBeLessThan(100);
      expect(late.received).toHaveLength(20);
      expect(Math.min(...elapsed(late.received))).toBeLessThan(100);
      expect(Math.max(...elapsed(late.received))).toBeGreaterThanOrEqual(250);
      expect(Math.max(...elapsed(late.received))).toBeLessThan(300 + 300);
    });
  });
});
