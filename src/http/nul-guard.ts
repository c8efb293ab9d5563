import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../platform/errors.js';

/*
 * PostgreSQL text cannot hold NUL (U+0000): a parameter carrying one (`/inventory/%00`, `?q=%00`,
 * {"name":"a\u0000"}) would reach the database and fail there as an internal error. Refused
 * up front instead, naming the parameter.
 */

const MAX_DEPTH = 32;

/** Parsed JSON and query objects only: a streamed body (a CSV upload) is an IncomingMessage. */
function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/** Dotted path of the first string holding NUL, or null. */
export function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\0') ? path : null;
  if (depth > MAX_DEPTH || !isPlain(value)) return null;
  for (const [key, v] of Object.entries(value)) {
    if (key.includes('\0')) return `${path}.${key.replaceAll('\0', '\\0')}`;
    const found = findNul(v, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Fastify's params and query objects: their own values, whatever their prototype. */
function findNulIn(record: unknown, path: string): string | null {
  if (record === null || typeof record !== 'object') return null;
  for (const [key, value] of Object.entries(record)) {
    const found = findNul(key, `${path} name`) ?? findNul(value, `${path}.${key}`, 1);
    if (found) return found;
  }
  return null;
}

/** preValidation hook: 400 for a NUL in a path parameter, the query string or a JSON body. */
export async function refuseNul(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const where = findNulIn(req.params, 'params') ?? findNulIn(req.query, 'querystring') ?? findNul(req.body, 'body');
  if (where) throw new DomainError('INVALID_DATA', `${where}: contains a NUL character (U+0000), which cannot be stored.`);
}
