import { describe, expect, it } from 'vitest';
import { gatewayEventSchema } from './events.js';
import { parseGatewayBehaviour } from './options.js';
import { planAuthorization, planRefund } from './outcomes.js';

const request = { paymentId: 'pay_1', orderId: 'ord_1', tenantId: 'ten_1', amount: 1999, currency: 'EUR' };
const refund = { ...request, refundId: 'ref_1', amount: 500 };
const behaviour = (overrides: Parameters<typeof parseGatewayBehaviour>[0]) =>
  parseGatewayBehaviour({ latencyMs: { min: 0, max: 0 }, ...overrides });

describe('gateway outcomes', () => {
  it.each([
    ['payment.succeeded', planAuthorization(behaviour({ successRate: 1 }), request, 1)],
    ['payment.failed', planAuthorization(behaviour({ successRate: 0 }), request, 1)],
    ['refund.succeeded', planRefund(behaviour({ refundSuccessRate: 1 }), refund, 1)],
    ['refund.failed', planRefund(behaviour({ refundSuccessRate: 0 }), refund, 1)],
  ])('plans a %s the webhook schema accepts', (type, plan) => {
    expect(plan.event.type).toBe(type);
    expect(gatewayEventSchema.parse(plan.event)).toEqual(plan.event);
  });

  it('explains a decline in a sentence the operator can act on', () => {
    const { event } = planAuthorization(behaviour({ successRate: 0, declineReasons: ['expired_card'] }), request, 1);
    expect(event).toMatchObject({ data: { decline_code: 'expired_card', reason: expect.stringMatching(/expired/) } });
  });

  it('keeps a payment\'s delays when only the success rate changes', () => {
    const a = planAuthorization(behaviour({ successRate: 0.1, lateRate: 0.5, latencyMs: { min: 0, max: 99 } }), request, 1);
    const b = planAuthorization(behaviour({ successRate: 0.9, lateRate: 0.5, latencyMs: { min: 0, max: 99 } }), request, 1);
    expect(b.delaysMs).toEqual(a.delaysMs);
    expect(b.event.id).toBe(a.event.id);
  });

  it.each([
    [{ currency: 'eur' }, /upper-case ISO 4217/],
    [{ amount: 0 }, /positive integer/],
    [{ orderId: '' }, /non-empty strings/],
  ])('refuses a bad request %j', (bad, message) => {
    expect(() => planAuthorization(behaviour({}), { ...request, ...bad }, 1)).toThrow(message);
  });
});
