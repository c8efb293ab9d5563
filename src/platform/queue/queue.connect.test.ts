import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentServer } from '../../../test/ports.js';
import type { Database } from '../db/types.js';
import { JobQueue } from './queue.js';

/* pg-boss opens its own pool on PostgreSQL: a server that never speaks stands for a partition. */
describe(JobQueue.name, () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(() => server.close());

  it('gives up starting against a server that never answers, instead of waiting forever', async () => {
    // Given a URL, start() reads only the kind of the database: pg-boss connects on its own.
    const postgres = { kind: 'postgres' } as Database;
    const started = JobQueue.start(postgres, { url: server.url, connectionTimeoutMs: 300 }, pino({ level: 'silent' }), { supervise: false });
    const stillWaiting = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000).unref());
    await expect(Promise.race([started, stillWaiting])).rejects.toThrow(/timeout/i);
  });
});
