import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/backend.js';
import { runCli } from '../../../test/cli.js';
import { createTestContext, TEST_SECRET, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import type { Envelope } from './envelope.js';
import { validate, type Schema } from './json-schema.js';
import { NatsPublisher } from './nats.js';
import { registerOutboundJobs } from './outbound.jobs.js';
import { Relay } from './relay.js';
import { natsSink } from './sinks.js';
import { tailEvents } from './tail.js';
import { outOfOrder, startSubscriber, waitFor } from './testing.js';
import { createSubscription } from './webhook.service.js';

const NATS_URL = process.env.NATS_URL;
const schema = JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as Schema;
const tag = randomBytes(4).toString('hex');
// A stream and subject prefix of this file's own: test files share one NATS server.
const natsEnv = NATS_URL ? { NATS_URL, NATS_STREAM: `ORDERSYS_TEST_${tag}`, NATS_SUBJECT_PREFIX: `ordersys-test-${tag}` } : {};

async function eventIdsOf(ctx: TestContext, tenantId: string): Promise<string[]> {
  const { rows } = await ctx.db.query<{ id: number }>(`SELECT id FROM order_events WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
  return rows.map((r) => `evt_${r.id}`);
}

describe('outbound events from a worker process', () => {
  let ctx: TestContext;
  let tenant: Tenant;
  let sku: string;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    ctx = await createTestContext('worker', { GATEWAY_SUCCESS_RATE: '0.9', GATEWAY_LATENCY_MS: '0-5', OUTBOUND_RELAY_INTERVAL_MS: '100', ...natsEnv });
    tenant = await newTenant(ctx.db);
    sku = (await newProduct(ctx.db, tenant, { stock: 10_000 })).sku;
  });
  afterAll(async () => {
    await ctx?.dispose();
    for (const c of cleanups) await c();
    if (NATS_URL) {
      const nc = await connect({ servers: NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(natsEnv.NATS_STREAM!).catch(() => undefined);
      await nc.close();
    }
  });

  it('the relay loop and delivery jobs bring every event of a workflow run to a subscriber (and to NATS when configured)', async () => {
    const sub = await startSubscriber();
    cleanups.push(sub.close);
    await ctx.db.transaction((tx) => createSubscription(ctx, tx, tenant.id, sub.url, ['*']));
    await registerOutboundJobs(ctx);
    const ids = await placeOrders(ctx, tenant.id, Array.from({ length: 30 }, () => newOrder({ [sku]: 1 })));
    await runWorkflow(ctx, tenant.id, ids);
    const expected = await eventIdsOf(ctx, tenant.id);
    await waitFor('webhook deliveries', async () => sub.deduped().length >= expected.length, 60_000, 100);
    expect(sub.deduped().map((e) => e.id).sort()).toEqual([...expected].sort());
    expect(outOfOrder(sub.deduped())).toEqual([]);

    if (NATS_URL) {
      const seen: Envelope[] = [];
      await tailEvents(ctx, { tenant: tenant.slug, fromStart: true, max: expected.length }, (e) => seen.push(e));
      expect(seen.map((e) => e.id)).toEqual(expect.arrayContaining(expected));
      expect(outOfOrder(seen)).toEqual([]);
    }
  });

  it.runIf(NATS_URL)('publishes each event once on the stream though a relay is killed mid-batch and restarted', async () => {
    const other = await newTenant(ctx.db);
    const otherSku = (await newProduct(ctx.db, other, { stock: 10_000 })).sku;
    const ids = await placeOrders(ctx, other.id, Array.from({ length: 50 }, (_, i) => newOrder({ [otherSku]: 1 + (i % 2) })));
    await runWorkflow(ctx, other.id, ids);
    const expected = await eventIdsOf(ctx, other.id);

    // Our own relay with its own checkpoint row, so the worker's loop does not race this test.
    await ctx.db.query(`INSERT INTO outbound_checkpoints (name) VALUES ('nats_probe')`);
    const publisher = new NatsPublisher({ url: NATS_URL!, stream: natsEnv.NATS_STREAM!, subjectPrefix: natsEnv.NATS_SUBJECT_PREFIX! });
    cleanups.push(() => publisher.close());
    let killed = false;
    const sinkOf = (kill: boolean) => ({
      ...natsSink(ctx, publisher, {
        // Dies after the 38th publish of its first batch: 37 messages out, checkpoint not moved.
        afterEach: (_e, index) => {
          if (kill && !killed && index === 37) {
            killed = true;
            throw new Error('relay killed mid-batch');
          }
        },
      }),
      name: 'nats_probe',
    });
    const crashing = new Relay(ctx.db, sinkOf(true), { batchSize: 100 });
    await expect(crashing.drain()).rejects.toThrow('relay killed mid-batch');
    expect(killed).toBe(true);
    await new Relay(ctx.db, sinkOf(false), { batchSize: 100 }).drain();

    const raw: Envelope[] = [];
    const subjects = new Set<string>();
    const { followStream } = await import('./nats.js');
    await followStream(
      { url: NATS_URL!, stream: natsEnv.NATS_STREAM!, subjectPrefix: natsEnv.NATS_SUBJECT_PREFIX! },
      { filter: `${natsEnv.NATS_SUBJECT_PREFIX}.${other.slug}.>`, fromStart: true },
      (payload, subject) => {
        raw.push(JSON.parse(payload) as Envelope);
        subjects.add(subject.split('.').slice(0, 2).join('.'));
        return raw.length < expected.length;
      },
    );
    // The republished part of the killed batch was dropped by the stream (Nats-Msg-Id).
    expect(raw.map((e) => e.id).sort()).toEqual([...expected].sort());
    expect(new Set(raw.map((e) => e.id)).size).toBe(raw.length);
    expect(outOfOrder(raw)).toEqual([]);
    expect([...subjects]).toEqual([`${natsEnv.NATS_SUBJECT_PREFIX}.${other.slug}`]);
    for (const e of raw) expect(validate(schema, e)).toEqual([]);
    const nc = await connect({ servers: NATS_URL! });
    const info = await (await jetstreamManager(nc)).streams.info(natsEnv.NATS_STREAM!, { subjects_filter: `${natsEnv.NATS_SUBJECT_PREFIX}.${other.slug}.>` });
    await nc.close();
    const perSubject = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    expect(perSubject).toBe(expected.length);
  });

  it.runIf(onPostgres)('`ordersys events tail` prints one JSON line per event, filtered by tenant and type', async () => {
    const db = ctx.config.database;
    const res = await runCli(['events', 'tail', '--from-start', '--tenant', tenant.slug, '--type', 'order.created', '--max', '3'], {
      DATABASE_URL: db.kind === 'postgres' ? db.url : undefined,
      ORDERSYS_SECRET: TEST_SECRET,
      ORDERSYS_DATA_DIR: ctx.config.dataDir,
      ...natsEnv,
    }, 60_000);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Envelope);
    expect(lines).toHaveLength(3);
    expect(lines.every((e) => e.type === 'order.created' && e.tenant === tenant.slug)).toBe(true);
  });
});
