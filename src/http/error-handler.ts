import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DomainError } from '../platform/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Every failure leaves the API in one shape: { error: { code, message, details } }. */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DomainError) {
    return reply.code(err.httpStatus).send({ error: { code: err.code, message: err.message, details: err.details } });
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => {
      const path = v.instancePath.replaceAll('/', '.').replace(/\.$/, '');
      const where = `${err.validationContext ?? 'body'}${path}`;
      return { field: where, message: v.message ?? 'is invalid' };
    });
    const first = issues[0];
    return reply.code(400).send({
      error: {
        code: 'INVALID_DATA',
        message: first ? `${first.field}: ${first.message}` : 'The request is invalid.',
        details: { issues },
      },
    });
  }
  if (isResponseSerializationError(err)) {
    req.log.error({ err, cause: err.cause }, 'response did not match its schema');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'The server built an invalid response; this is a bug.' } });
  }
  if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.code(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than this endpoint accepts.' } });
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const type = req.headers['content-type'] ?? '(none)';
    return reply.code(415).send({ error: { code: 'INVALID_DATA', message: `Content-Type ${type} is not accepted here; send JSON (application/json), or text/csv to POST /imports.` } });
  }
  if (err.statusCode === 429) {
    const body = err as unknown as { error?: { code: string; message: string } };
    return reply.code(429).send({ error: body.error ?? { code: 'RATE_LIMITED', message: 'Too many requests; see Retry-After.' } });
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return reply.code(err.statusCode).send({ error: { code: 'INVALID_DATA', message: err.message } });
  }
  if (req.raw.destroyed && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
    // The client hung up mid-request (an upload cut short): nothing to answer, nothing broken here.
    req.log.info({ reason: err.message }, 'client closed the connection before its request was read');
    return reply.code(400).send({ error: { code: 'INVALID_DATA', message: 'The request was cut short by the client.' } });
  }
  req.log.error({ err }, 'unhandled error');
  return reply.code(500).send({ error: { code: 'INTERNAL', message: 'Internal error; it has been logged.' } });
}

/**
 * Errors Fastify raises before routing (a path that is not valid percent-encoding, a path
 * parameter past 100 characters), in the one error shape instead of Fastify's own.
 */
export function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  void reply.code(err.statusCode ?? 400).send({ error: { code: 'INVALID_DATA', message: `${err.message}.` } });
}
