import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentServer } from '../../../test/ports.js';
import { openPostgres } from './postgres.js';

/*
 * A server behind a network partition accepts nothing and answers nothing; one that takes the
 * TCP connection and then never speaks is the same to a client, and can be made locally.
 */
describe(openPostgres.name, () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(() => server.close());

  it('gives up getting a connection from a server that never answers, instead of waiting forever', async () => {
    const start = performance.now();
    const opened = openPostgres(server.url, 1, 'connect-test', { connectionTimeoutMs: 300 });
    const stillWaiting = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000).unref());
    await expect(Promise.race([opened, stillWaiting])).rejects.toThrow(/timeout/i);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
