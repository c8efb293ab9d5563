import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { testRedisUrl } from '../../../test/backend.js';

describe('health, metrics and docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('says the process is live', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'live' });
  });

  it('is ready when the database and queue answer (and Redis, when configured)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.queue.ok).toBe(true);
    if (testRedisUrl) expect(body.checks.redis.ok).toBe(true);
    else expect(body.checks.redis).toBeUndefined();
  });

  it('serves Prometheus metrics including HTTP request durations', async () => {
    await t.app.inject({ method: 'GET', url: '/health/live' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('ordersys_http_request_duration_seconds_bucket');
    expect(res.body).toMatch(/route="\/health\/live"/);
  });

  it('publishes an OpenAPI 3.1 document listing its routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready', '/metrics']));
  });

  it('answers unknown routes in the one error shape', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route GET /nope.' } });
  });
});

describe('metrics token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN: 'metrics-token-0123456789' });
  });
  afterAll(() => t.close());

  it('refuses metrics without the token and serves them with it', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const ok = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.statusCode).toBe(200);
    const lower = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'bearer metrics-token-0123456789' } });
    expect(lower.statusCode).toBe(200);
    for (const wrong of ['Bearer metrics-token-012345678', 'Bearer metrics-token-01234567890', 'metrics-token-0123456789']) {
      expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: wrong } })).statusCode, wrong).toBe(401);
    }
  });
});
