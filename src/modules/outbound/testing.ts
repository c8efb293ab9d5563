import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Envelope } from './envelope.js';

export interface Received {
  rawBody: string;
  headers: IncomingHttpHeaders;
  envelope: Envelope;
}

/** A real HTTP subscriber on 127.0.0.1 for tests: records every request; `answer` picks the status. */
export async function startSubscriber(answer: (r: Received, nth: number) => number | Promise<number> = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const r: Received = { rawBody, headers: req.headers, envelope: JSON.parse(rawBody) as Envelope };
      received.push(r);
      void Promise.resolve(answer(r, received.length)).then((status) => res.writeHead(status).end(status < 300 ? 'ok' : 'no'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** Distinct event ids in first-arrival order: what a consumer that dedupes by id sees. */
    deduped(): Envelope[] {
      const seen = new Set<string>();
      return received.map((r) => r.envelope).filter((e) => !seen.has(e.id) && seen.add(e.id));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** For each order, the event ids in the order they arrived: must be ascending. */
export function outOfOrder(envelopes: readonly Envelope[]): string[] {
  const last = new Map<string, number>();
  const problems: string[] = [];
  for (const e of envelopes) {
    if (!e.order_id) continue;
    const n = Number(e.id.slice(4));
    if ((last.get(e.order_id) ?? -1) > n) problems.push(`${e.order_id}: ${e.id} after evt_${last.get(e.order_id)}`);
    last.set(e.order_id, Math.max(n, last.get(e.order_id) ?? -1));
  }
  return problems;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
