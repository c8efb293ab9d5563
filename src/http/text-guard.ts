import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../platform/errors.js';

/*
 * Text PostgreSQL cannot store as sent, refused up front with a 400 naming the parameter:
 * - NUL (U+0000): a parameter carrying one (`/inventory/%00`, `?q=%00`, {"name":"a\u0000"})
 *   would fail in the database as an internal error;
 * - a lone UTF-16 surrogate ({"orderCode":"A\ud800"}, only possible through a JSON escape): it
 *   has no UTF-8 form, so the driver would store U+FFFD instead, and the row written would not
 *   be the one asked for (an order created under another code, then reported as a conflict).
 */

const MAX_DEPTH = 32;

/** Parsed JSON and query objects only: a streamed body (a CSV upload) is an IncomingMessage. */
function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

interface Unstorable {
  path: string;
  why: string;
}

function whyUnstorable(s: string): string | null {
  if (s.includes('\0')) return 'contains a NUL character (U+0000), which cannot be stored.';
  if (!s.isWellFormed()) return 'contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is not text.';
  return null;
}

/** The first string (or key) that cannot be stored, with its dotted path, or null. */
function findUnstorable(value: unknown, path: string, depth = 0): Unstorable | null {
  if (typeof value === 'string') {
    const why = whyUnstorable(value);
    return why ? { path, why } : null;
  }
  if (depth > MAX_DEPTH || !isPlain(value)) return null;
  for (const [key, v] of Object.entries(value)) {
    const why = whyUnstorable(key);
    if (why) return { path: `${path}.${key.replaceAll('\0', '\\0').toWellFormed()}`, why };
    const found = findUnstorable(v, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Fastify's params and query objects: their own values, whatever their prototype. */
function findUnstorableIn(record: unknown, path: string): Unstorable | null {
  if (record === null || typeof record !== 'object') return null;
  for (const [key, value] of Object.entries(record)) {
    const found = findUnstorable(key, `${path} name`) ?? findUnstorable(value, `${path}.${key}`, 1);
    if (found) return found;
  }
  return null;
}

/** preValidation hook: 400 for unstorable text in a path parameter, the query string or a JSON body. */
export async function refuseUnstorableText(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const found = findUnstorableIn(req.params, 'params') ?? findUnstorableIn(req.query, 'querystring') ?? findUnstorable(req.body, 'body');
  if (found) throw new DomainError('INVALID_DATA', `${found.path}: ${found.why}`);
}
