import { describe, expect, it } from 'vitest';
import { gatewayEventSchema, parseGatewayEvent } from './events.js';

const data = { payment_id: 'pay_1', order_id: 'ord_1', tenant_id: 'ten_1', amount: 1999, currency: 'EUR' };

describe('gateway events', () => {
  it('parses a payment.failed with its decline code', () => {
    const event = { id: 'evt_abc', type: 'payment.failed', created: 1, data: { ...data, decline_code: 'expired_card' } };
    expect(parseGatewayEvent(JSON.stringify(event))).toEqual({ ok: true, event });
  });

  it('requires a decline code on payment.failed and a refund id on refund events', () => {
    expect(gatewayEventSchema.safeParse({ id: 'evt_a', type: 'payment.failed', created: 1, data }).success).toBe(false);
    expect(gatewayEventSchema.safeParse({ id: 'evt_a', type: 'refund.succeeded', created: 1, data }).success).toBe(false);
  });

  it('refuses fractional amounts, naming the field', () => {
    const event = { id: 'evt_a', type: 'payment.succeeded', created: 1, data: { ...data, amount: 19.99 } };
    const result = parseGatewayEvent(JSON.stringify(event));
    expect(result).toMatchObject({ ok: false });
    expect(result.ok || result.message).toMatch(/^data\.amount:/);
  });

  it('refuses bodies that are not JSON or not a known event type', () => {
    expect(parseGatewayEvent('{')).toEqual({ ok: false, message: 'body is not valid JSON' });
    expect(parseGatewayEvent(JSON.stringify({ id: 'evt_a', type: 'payment.pending', created: 1, data })).ok).toBe(false);
  });
});
