import pino from 'pino';
import type { Database } from '../src/platform/db/types.js';
import { JobQueue } from '../src/platform/queue/queue.js';

/** Lets pg-boss create its schema once in the template instead of once per test file. */
export async function installQueueSchema(db: Database, url?: string): Promise<void> {
  const queue = await JobQueue.start(db, { url }, pino({ level: 'silent' }), { supervise: false });
  await queue.stop(1000);
}
