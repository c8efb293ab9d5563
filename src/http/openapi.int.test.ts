import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/app.js';
import { ContractChecker, loadDoc } from '../../test/contract/openapi-validate.js';
import { bearer, newApiKey, newTenant } from '../../test/factories.js';

/*
 * Statuses Fastify answers on its own, before a handler runs, for every route set up a certain
 * way: each is asked of every such route, and each answer checked against docs/openapi.json.
 */
describe('docs/openapi.json: errors the framework answers', () => {
  let t: TestApp;
  let contract: ContractChecker;
  let admin: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp();
    contract = new ContractChecker(loadDoc());
    admin = bearer(await newApiKey(t.ctx.db, await newTenant(t.ctx.db), 'admin'));
  });
  afterAll(() => t.close());

  const operations = () =>
    Object.entries(contract.doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
  const fill = (path: string, value: () => string) => path.replace(/\{\w+\}/g, () => encodeURIComponent(value()));

  it('documents 414 wherever a path parameter can be too long, as answered', async () => {
    const withParams = operations().filter((op) => op.path.includes('{'));
    expect(withParams.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { method, path } of withParams) {
      const res = await t.app.inject({ method: method as 'GET', url: fill(path, () => 'x'.repeat(101)), headers: admin });
      expect(res.statusCode, `${method} ${path}`).toBe(414);
      problems.push(...contract.check(method, path, res));
    }
    expect(problems).toEqual([]);
  });

  it('documents 413 and 415 for a body sent to a DELETE route, as answered', async () => {
    const deletes = operations().filter((op) => op.method === 'DELETE');
    expect(deletes.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { method, path } of deletes) {
      const url = fill(path, randomUUID);
      const xml = await t.app.inject({ method: 'DELETE', url, headers: { ...admin, 'content-type': 'application/xml' }, payload: '<key/>' });
      const huge = await t.app.inject({ method: 'DELETE', url, headers: { ...admin, 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) });
      expect([xml.statusCode, huge.statusCode], `${method} ${path}`).toEqual([415, 413]);
      problems.push(...contract.check(method, path, xml), ...contract.check(method, path, huge));
    }
    expect(problems).toEqual([]);
  });
});
