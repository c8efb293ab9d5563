import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { notificationsModule } from './index.js';
import { deliverNotifications } from './notification.delivery.js';

interface Mail {
  to: string[];
  raw: string;
}

/** A real SMTP server on a free port; mail to refuse-* addresses is refused at DATA with a 550. */
async function startSmtp(): Promise<{ server: SMTPServer; port: number; mails: Mail[]; refused: number[] }> {
  const mails: Mail[] = [];
  const refused: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString('utf8')));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (to.some((a) => a.startsWith('refuse'))) {
          refused.push(Date.now());
          const err = Object.assign(new Error('mailbox unavailable: refused by test'), { responseCode: 550 });
          return callback(err);
        }
        mails.push({ to, raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as AddressInfo).port, mails, refused };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('email over SMTP', () => {
  let ctx: TestContext;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let tenant: Tenant;

  beforeAll(async () => {
    smtp = await startSmtp();
    ctx = await createTestContext('all', {
      GATEWAY_SUCCESS_RATE: '1',
      GATEWAY_LATENCY_MS: '0-5',
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      NOTIFY_FROM: 'Shop <shop@example.test>',
      NOTIFY_MAX_ATTEMPTS: '3',
      NOTIFY_RETRY_BASE_MS: '100',
    });
    await notificationsModule.jobs!(ctx); // real workers: delivery jobs run as in production
    tenant = await newTenant(ctx.db);
  });
  afterAll(async () => {
    await ctx.dispose();
    await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
  });

  async function complete(email: string): Promise<{ orderId: string; code: string }> {
    const p = await newProduct(ctx.db, tenant, { stock: 100 });
    const order = newOrder({ [p.sku]: 3 }, { customerEmail: email, customerName: 'Ada Buyer' });
    const [orderId] = await placeOrders(ctx, tenant.id, [order]);
    await runWorkflow(ctx, tenant.id, [orderId!]);
    return { orderId: orderId!, code: order.orderCode };
  }

  const notificationsOf = async (orderId: string) =>
    (
      await ctx.db.query<{ id: string; channel: string; status: string; attempts: number; lastError: string | null; sentAt: Date | null }>(
        `SELECT id, channel, status, attempts, last_error AS "lastError", sent_at AS "sentAt" FROM notifications WHERE order_id = $1 ORDER BY channel`,
        [orderId],
      )
    ).rows;

  it('delivers the order confirmation to the customer, with the order code and total', async () => {
    const { orderId, code } = await complete('ada@example.com');
    const mail = await until('the email', async () => smtp.mails.find((m) => m.raw.includes(code)));
    expect(mail.to).toEqual(['ada@example.com']);
    expect(mail.raw).toMatch(new RegExp(`^Subject: Order ${code} confirmed`, 'm'));
    expect(mail.raw).toMatch(/^From: Shop <shop@example\.test>/m);
    expect(mail.raw).toContain('Total: EUR 30.00'); // 3 x 10.00, from minor units
    expect(mail.raw).toContain('3 x Product');
    const rows = await until('both channels sent', async () => {
      const r = await notificationsOf(orderId);
      return r.every((n) => n.status === 'sent') ? r : undefined;
    });
    expect(rows.map((n) => [n.channel, n.status, n.attempts])).toEqual([
      ['email', 'sent', 1],
      ['log', 'sent', 1],
    ]);
  });

  it('never sends again when a job for a sent notification runs again', async () => {
    const { orderId, code } = await complete('bob@example.com');
    await until('sent', async () => ((await notificationsOf(orderId)).every((n) => n.status === 'sent') ? true : undefined));
    const ids = (await notificationsOf(orderId)).map((n) => n.id);
    expect(await deliverNotifications(ctx, tenant.id, ids)).toEqual({ sent: 0, retrying: 0, failed: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails.filter((m) => m.raw.includes(code))).toHaveLength(1);
  });

  it('retries a refused email with backoff, then records it failed with the server error', async () => {
    const refusedBefore = smtp.refused.length;
    const { orderId, code } = await complete('refuse-carol@example.com');
    const email = await until(
      'the email to fail',
      async () => (await notificationsOf(orderId)).find((n) => n.channel === 'email' && n.status === 'failed'),
      30_000,
    );
    expect(email.attempts).toBe(3);
    expect(email.lastError).toMatch(/550/);
    expect(email.lastError).toContain('refused by test');
    const tries = smtp.refused.slice(refusedBefore);
    expect(tries).toHaveLength(3);
    // Backing off, not hammering: at least the base delay, then twice it (polling only adds to these).
    expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(90);
    expect(tries[2]! - tries[1]!).toBeGreaterThanOrEqual(190);
    const { rows } = await ctx.db.query<{ attempt: number; outcome: string; error: string }>(
      `SELECT attempt, outcome, error FROM notification_attempts WHERE notification_id = $1 ORDER BY id`,
      [email.id],
    );
    expect(rows.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
    expect(rows.every((a) => a.error.includes('550'))).toBe(true);
    expect(smtp.mails.some((m) => m.raw.includes(code))).toBe(false);
    // The log channel is independent: the customer's other notification went out.
    expect((await notificationsOf(orderId)).find((n) => n.channel === 'log')?.status).toBe('sent');
  });
});
