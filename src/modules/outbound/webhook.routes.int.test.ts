import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newTenant } from '../../../test/factories.js';
import { KNOWN_EVENT_TYPES } from './envelope.js';

describe('webhook subscriptions API', () => {
  let t: TestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    auth = bearer(await newApiKey(t.ctx.db, await newTenant(t.ctx.db), 'admin'));
  });
  afterAll(() => t?.close());

  const subscribe = (events: unknown[]) =>
    t.app.inject({ method: 'POST', url: '/webhooks/subscriptions', headers: auth, payload: { url: 'https://x.example.com/', events } });
  const subscriptionCount = async () => (await t.app.inject({ method: 'GET', url: '/webhooks/subscriptions', headers: auth })).json().items.length as number;

  describe('POST /webhooks/subscriptions', () => {
    it.each([
      [['bogus.event'], 'body.events.0'],
      [['order.completed', 'order.complete'], 'body.events.1'],
      [['order.completed', 'refund.succeeded', 'Order.Completed'], 'body.events.2'],
      [['order.*'], 'body.events.0'],
    ])('refuses %j, naming %s and listing the known types', async (events, field) => {
      const before = await subscriptionCount();
      const res = await subscribe(events);
      expect(res.statusCode).toBe(400);
      const { error } = res.json();
      expect(error.code).toBe('INVALID_DATA');
      expect(error.details.issues).toEqual([expect.objectContaining({ field })]);
      expect(error.message).toMatch(new RegExp(`^${field.replaceAll('.', '\\.')}: `));
      for (const type of KNOWN_EVENT_TYPES) expect(error.message).toContain(type);
      expect(await subscriptionCount()).toBe(before);
    });

    it.each([[['*']], [[...KNOWN_EVENT_TYPES]], [['order.completed', 'refund.failed']]])('subscribes to %j', async (events) => {
      const res = await subscribe(events);
      expect(res.statusCode).toBe(201);
      expect(res.json().events).toEqual(events);
    });
  });
});
