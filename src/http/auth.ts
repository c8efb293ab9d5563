import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { roleAllows, type Role } from '../modules/auth/api-key.js';
import { apiKeyCache } from '../modules/auth/api-key.cache.js';
import { DomainError } from '../platform/errors.js';

export interface RequestAuth {
  tenantId: string;
  role: Role;
  keyId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: RequestAuth;
  }
  interface FastifyContextConfig {
    /** Minimum role for the route; `false` for routes open without a key (health, webhooks). */
    role?: Role | false;
  }
}

/** The credential of an `Authorization: Bearer` header; the scheme is case-insensitive (RFC 9110 11.1). */
export function bearerToken(header: string | undefined): string | undefined {
  return header && /^bearer /i.test(header) ? header.slice(7).trim() || undefined : undefined;
}

/**
 * Every route needs a key unless it says `config: { role: false }`. The key decides the tenant:
 * handlers read it from req.auth, never from the request, so one tenant cannot name another.
 */
export function authHook(ctx: AppContext) {
  const keys = apiKeyCache(ctx);
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    const needed = req.routeOptions.config?.role;
    // Unmatched URLs fall through to the 404 handler; /docs is the public OpenAPI UI.
    if (needed === false || !req.routeOptions.url || req.url.startsWith('/docs')) return;
    const presented = bearerToken(req.headers.authorization);
    if (!presented) throw new DomainError('UNAUTHORIZED', 'Send an API key as "Authorization: Bearer <key>" (create one with `ordersys keys create`).');
    const key = await keys.find(ctx.db, presented);
    if (!key) throw new DomainError('UNAUTHORIZED', 'This API key is unknown or revoked.');
    const role = needed ?? 'viewer';
    if (!roleAllows(key.role, role)) {
      throw new DomainError('FORBIDDEN', `This route needs the ${role} role; the key has ${key.role}.`);
    }
    req.auth = { tenantId: key.tenantId, role: key.role, keyId: key.id };
  };
}

/** The caller's tenant; only valid on authenticated routes. */
export function tenantOf(req: FastifyRequest): string {
  if (!req.auth) throw new Error(`route ${req.routeOptions.url} read the tenant but is not authenticated`);
  return req.auth.tenantId;
}
