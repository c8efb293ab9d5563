import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookDeliveryError, httpTransport } from './transport.js';
import { PaymentGatewaySimulator } from './simulator.js';
import { verifySignature } from './signature.js';

const secret = 'whsec_http_test_secret';
let server: Server | undefined;

/** A receiver that verifies like the real webhook route, answering `status` to the first `failFirst` requests. */
async function receiver(failFirst = 0) {
  const bodies: string[] = [];
  const verdicts: string[] = [];
  let requests = 0;
  server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    requests += 1;
    const check = verifySignature(secret, raw, req.headers['stripe-signature']);
    verdicts.push(check.ok ? `ok ${req.headers['content-type']}` : check.reason);
    if (requests <= failFirst) return res.writeHead(503).end('try later');
    bodies.push(raw.toString());
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/payments`, bodies, verdicts };
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('httpTransport', () => {
  it('POSTs the signed bytes with the signature header, retrying a 503', async () => {
    const target = await receiver(1);
    const sim = new PaymentGatewaySimulator({
      secret,
      latencyMs: { min: 0, max: 0 },
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 5 },
      deliver: httpTransport(target.url),
    });
    await sim.authorize({ paymentId: 'pay_1', orderId: 'ord_1', tenantId: 't', amount: 500, currency: 'USD' });
    await sim.drain();
    sim.close();
    expect(target.verdicts).toEqual(['ok application/json', 'ok application/json']);
    expect(JSON.parse(target.bodies[0]!)).toMatchObject({ data: { payment_id: 'pay_1', amount: 500 } });
  });

  it('throws a WebhookDeliveryError naming the status on non-2xx', async () => {
    const target = await receiver(1);
    const send = httpTransport(target.url);
    const error = await send({} as never, { rawBody: '{}', signatureHeader: 't=1,v1=00' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookDeliveryError);
    expect((error as WebhookDeliveryError).status).toBe(503);
    expect((error as Error).message).toMatch(/answered 503: try later/);
  });

  it('uses the injected fetch', async () => {
    const calls: Array<[string, RequestInit | undefined]> = [];
    const fakeFetch = (async (url: string, init?: RequestInit) => {
      calls.push([url, init]);
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    await httpTransport('http://receiver.test/hook', fakeFetch)({} as never, { rawBody: 'x', signatureHeader: 'sig' });
    expect(calls[0]![0]).toBe('http://receiver.test/hook');
    expect(calls[0]![1]).toMatchObject({ method: 'POST', body: 'x', headers: { 'Stripe-Signature': 'sig' } });
  });
});
