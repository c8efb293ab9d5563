import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../test/context.js';
import { newApiKey, newTenant } from '../../test/factories.js';
import { buildApp, type App } from './app.js';

describe('a client that hangs up mid-upload', () => {
  let ctx: TestContext;
  let app: App;
  const logged: { level: number; msg: string }[] = [];

  beforeAll(async () => {
    ctx = await createTestContext('api');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logged.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    app = await buildApp({ ...ctx, logger: pino({ level: 'info' }, sink) });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await ctx.dispose();
  });

  it('is logged as information, not as an unhandled error, and its import ends failed', async () => {
    const tenant = await newTenant(ctx.db);
    const key = await newApiKey(ctx.db, tenant, 'operator');
    const { port } = app.server.address() as net.AddressInfo;
    const head = 'order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency\n';
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n${head}`,
    );
    const imports = async () => (await ctx.db.query<{ status: string }>(`SELECT status FROM imports WHERE tenant_id = $1`, [tenant.id])).rows;
    while ((await imports()).length === 0) await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    while ((await imports())[0]!.status === 'running') await new Promise((r) => setTimeout(r, 20));
    expect((await imports())[0]!.status).toBe('failed');
    expect(logged.filter((l) => l.level >= 50)).toEqual([]);
    expect(logged.some((l) => l.msg === 'client closed the connection before its request was read')).toBe(true);
  });
});
