import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryFailure, SignedDelivery } from './transport.js';
import type { PaymentRequest } from './outcomes.js';
import { PaymentGatewaySimulator, type SimulatorOptions } from './simulator.js';

const secret = 'whsec_queue_test_secret';
const open: PaymentGatewaySimulator[] = [];
const payments = (n: number): PaymentRequest[] =>
  Array.from({ length: n }, (_, i) => ({ paymentId: `pay_${i}`, orderId: `ord_${i}`, tenantId: 't', amount: 100, currency: 'EUR' }));

function simulator(options: Partial<SimulatorOptions> & Pick<SimulatorOptions, 'deliver'>) {
  const sim = new PaymentGatewaySimulator({
    secret,
    seed: 1,
    latencyMs: { min: 0, max: 0 },
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
  open.push(sim);
  return sim;
}

const activeTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

afterEach(() => {
  for (const sim of open.splice(0)) sim.close();
});

describe('delivery', () => {
  describe('retries', () => {
    it('retries a failing transport with backoff until it accepts', async () => {
      const tries = new Map<string, number>();
      const failures: DeliveryFailure[] = [];
      const sim = simulator({
        deliver: async (event) => {
          const n = (tries.get(event.id) ?? 0) + 1;
          tries.set(event.id, n);
          if (n <= 2) throw new Error('receiver down');
        },
        onDeliveryFailure: (f) => failures.push(f),
      });
      await sim.authorizeMany(payments(5));
      await sim.drain();
      expect([...tries.values()]).toEqual([3, 3, 3, 3, 3]);
      expect(failures).toHaveLength(10);
      expect(failures.every((f) => f.willRetry)).toBe(true);
      expect(sim.stats()).toMatchObject({ delivered: 5, retried: 10, failed: 0, pending: 0, inFlight: 0 });
    });

    it('gives up after the configured attempts, and drain still resolves', async () => {
      let calls = 0;
      const failures: DeliveryFailure[] = [];
      const sim = simulator({
        deliver: async () => {
          calls += 1;
          throw new Error('always down');
        },
        onDeliveryFailure: (f) => failures.push(f),
      });
      await sim.authorize(payments(1)[0]!);
      await sim.drain();
      expect(calls).toBe(4);
      expect(failures.map((f) => f.willRetry)).toEqual([true, true, true, false]);
      expect(sim.stats()).toMatchObject({ delivered: 0, failed: 1 });
    });

    it('re-signs each retry with the time it is sent', async () => {
      const headers: string[] = [];
      let clock = 1_000_000_000_000;
      const sim = simulator({
        now: () => (clock += 10_000),
        deliver: async (_e, { signatureHeader }) => {
          headers.push(signatureHeader);
          if (headers.length === 1) throw new Error('once');
        },
      });
      await sim.authorize(payments(1)[0]!);
      await sim.drain();
      expect(headers).toHaveLength(2);
      expect(headers[0]!.split(',')[0]).not.toBe(headers[1]!.split(',')[0]);
    });
  });

  describe('deliverBatch', () => {
    it('hands a bulk authorization over in batchSize groups', async () => {
      const batches: number[] = [];
      const single: string[] = [];
      const sim = simulator({
        batchSize: 500,
        deliver: async (event) => void single.push(event.id),
        deliverBatch: async (deliveries: readonly SignedDelivery[]) => void batches.push(deliveries.length),
      });
      await sim.authorizeMany(payments(1200));
      await sim.drain();
      expect(batches).toEqual([500, 500, 200]);
      expect(single).toEqual([]);
    });

    it('retries a failed batch whole, however long its failure reports take', async () => {
      const seen: number[] = [];
      let reports = 0;
      const sim = simulator({
        deliver: async () => {},
        deliverBatch: async (deliveries) => {
          seen.push(deliveries.length);
          if (seen.length === 1) throw new Error('handler crashed');
        },
        // The first report takes a few milliseconds (a slow logger, a busy machine): the clock
        // moves on before the batch's other members are scheduled again.
        onDeliveryFailure: () => {
          if (reports++ > 0) return;
          const start = Date.now();
          while (Date.now() - start < 3);
        },
      });
      await sim.authorizeMany(payments(50));
      await sim.drain();
      expect(seen).toEqual([50, 50]);
      expect(sim.stats()).toMatchObject({ delivered: 50, retried: 50 });
    });
  });

  describe('drain and close', () => {
    it('drain resolves at once when nothing is scheduled', async () => {
      await simulator({ deliver: async () => {} }).drain();
    });

    it('close drops pending deliveries, cancels the timer and releases drain', async () => {
      const before = activeTimeouts();
      let calls = 0;
      const sim = simulator({ latencyMs: { min: 60_000, max: 60_000 }, deliver: async () => void (calls += 1) });
      await sim.authorizeMany(payments(3));
      expect(activeTimeouts()).toBe(before + 1);
      const drained = sim.drain();
      sim.close();
      await drained;
      expect(activeTimeouts()).toBe(before);
      expect(calls).toBe(0);
      expect(sim.stats()).toMatchObject({ dropped: 3, pending: 0 });
      await expect(sim.authorize(payments(1)[0]!)).rejects.toThrow(/closed/);
    });

    it('leaves no timer behind after drain', async () => {
      const before = activeTimeouts();
      const sim = simulator({ latencyMs: { min: 1, max: 10 }, deliver: async () => {} });
      await sim.authorizeMany(payments(10));
      await sim.authorize(payments(11)[10]!);
      await sim.drain();
      expect(activeTimeouts()).toBe(before);
    });
  });
});
