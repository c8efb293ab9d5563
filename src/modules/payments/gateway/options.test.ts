import { describe, expect, it } from 'vitest';
import { parseGatewayBehaviour } from './options.js';
import { PaymentGatewaySimulator } from './simulator.js';

const deliver = async () => {};

describe('gateway options', () => {
  it('fills every default from an empty object', () => {
    expect(parseGatewayBehaviour({})).toMatchObject({
      seed: 1,
      successRate: 0.95,
      outOfOrder: false,
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 },
    });
  });

  it('names the bad field', () => {
    expect(() => parseGatewayBehaviour({ successRate: 1.5 })).toThrow(/successRate/);
    expect(() => parseGatewayBehaviour({ latencyMs: { min: 50, max: 10 } })).toThrow(/latencyMs\.min must not exceed/);
  });

  it('refuses to run without a webhook secret', () => {
    expect(() => new PaymentGatewaySimulator({ secret: '', deliver })).toThrow(/non-empty webhook secret/);
    expect(() => new PaymentGatewaySimulator({ secret: [], deliver })).toThrow(/non-empty webhook secret/);
  });
});
