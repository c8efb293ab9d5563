import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { CURRENCIES_PATH, currenciesModule } from './currencies.module.js';

/*
 * The dashboard is plain ES modules and CSS in web/, served as they are: no build step, no
 * CDN. Pages and assets need no key (they hold no data); every data call they make does.
 */
export const WEB_ROOT = fileURLToPath(new URL('../../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/** Everything comes from this origin; no inline script or style can run. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const open = { config: { role: false as const, rateLimit: false }, schema: { hide: true } };

async function sendFile(req: FastifyRequest, reply: FastifyReply, relative: string) {
  // Only plain names below web/: no dot segments, no encoded tricks, no hidden files.
  const file = path.resolve(WEB_ROOT, relative);
  const type = TYPES[path.extname(file)];
  if (!/^[\w-]+(\/[\w-]+)*\.\w+$/.test(relative) || !file.startsWith(WEB_ROOT) || !type) return notFound(reply, relative);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return notFound(reply, relative);
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  return send(req, reply, type, etag, () => readFile(file));
}

async function send(req: FastifyRequest, reply: FastifyReply, type: string, etag: string, body: () => Promise<Buffer | string>) {
  reply.header('etag', etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  if (type.startsWith('text/html')) reply.header('content-security-policy', CSP);
  return reply.type(type).send(await body());
}

const notFound = (reply: FastifyReply, what: string) =>
  reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No dashboard file ${what}.` } });

export const staticRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app) => {
  const currencies = currenciesModule();
  app.get('/', open, async (_req, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard', open, async (_req, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard/', open, async (req, reply) => sendFile(req, reply, 'index.html'));
  // Generated, not a file: a static route wins over the wildcard below.
  app.get(CURRENCIES_PATH, open, async (req, reply) => send(req, reply, TYPES['.js']!, currencies.etag, async () => currencies.body));
  app.get('/dashboard/assets/*', open, async (req, reply) => sendFile(req, reply, (req.params as { '*': string })['*']));
};
