import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KNOWN_EVENT_TYPES, parseEventId, publicType, subjectOf, subscribedTo, toEnvelope, type EventRow } from './envelope.js';
import { validate, type Schema } from './json-schema.js';
import { retryDelayMs } from './webhook.secret.js';

const schema = JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as Schema;
const ORDER = '0f8c7a4e-3b1d-4c2a-9e5f-6a7b8c9d0e1f';

function row(fields: Partial<EventRow>): EventRow {
  return {
    id: 42, xid: '900', tenantId: 'ignored', tenantSlug: 'acme', orderId: ORDER, orderCode: 'A-1', currency: 'EUR',
    type: 'order.completed', fromStatus: 'reserved', toStatus: 'completed',
    data: { paymentId: '1e2d3c4b-5a69-4788-9aab-bccddeeff001', amount: 2500 }, createdAt: new Date('2025-01-02T03:04:05.678Z'),
    ...fields,
  };
}

describe('toEnvelope', () => {
  it('builds the versioned envelope with the order code, currency and status change in data', () => {
    expect(toEnvelope(row({}))).toEqual({
      id: 'evt_42', type: 'order.completed', tenant: 'acme', occurred_at: '2025-01-02T03:04:05.678Z', order_id: ORDER, version: 1,
      data: { paymentId: '1e2d3c4b-5a69-4788-9aab-bccddeeff001', amount: 2500, orderCode: 'A-1', currency: 'EUR', fromStatus: 'reserved', toStatus: 'completed' },
    });
    expect(parseEventId('evt_42')).toBe(42);
    expect(parseEventId('42')).toBeUndefined();
  });

  it('passes unknown future types through under their own name', () => {
    expect(publicType('shipment.lost')).toBe('shipment.lost');
    expect(KNOWN_EVENT_TYPES).toContain('import.finished');
  });

  it('publishes on <prefix>.<tenant>.<type> and matches subscriptions by type or *', () => {
    expect(subjectOf('ordersys', { tenant: 'acme', type: 'order.completed' })).toBe('ordersys.acme.order.completed');
    expect(subscribedTo(['*'], 'refund.failed')).toBe(true);
    expect(subscribedTo(['order.completed'], 'refund.failed')).toBe(false);
  });
});

describe('docs/events.schema.json', () => {
  it('accepts envelopes of every documented type and an unknown future type', () => {
    const imp = toEnvelope(row({ type: 'import.finished', orderId: null, orderCode: null, currency: null, fromStatus: null, toStatus: null,
      data: { importId: ORDER, counts: { linesRead: 3, linesAccepted: 3, linesRejected: 0, ordersCreated: 1, ordersExisting: 0, ordersRejected: 0 } } }));
    expect(validate(schema, toEnvelope(row({})))).toEqual([]);
    expect(validate(schema, imp)).toEqual([]);
    const abandoned = toEnvelope(row({ type: 'refund.abandoned', toStatus: null, fromStatus: null, data: { amount: 2500, currency: 'EUR', failedRefunds: 5, reason: '5 refunds declined by the gateway; left to an operator' } }));
    expect(abandoned.type).toBe('refund.abandoned');
    expect(validate(schema, abandoned)).toEqual([]);
    expect(validate(schema, { ...abandoned, data: { ...abandoned.data, failedRefunds: undefined } })).not.toEqual([]);
    expect(validate(schema, toEnvelope(row({ type: 'shipment.lost', data: { anything: true } })))).toEqual([]);
  });

  it('refuses an envelope whose payload breaks its type', () => {
    const bad = toEnvelope(row({ data: { amount: -1 } }));
    expect(validate(schema, bad)).toEqual(expect.arrayContaining(['$.data: missing paymentId', '$.data.amount: -1 is below 0']));
    expect(validate(schema, { ...toEnvelope(row({})), version: 2 })).toEqual(['$.version: must be 1']);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 10_000, 3_600_000))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(30, 10_000, 3_600_000)).toBe(3_600_000);
  });
});
