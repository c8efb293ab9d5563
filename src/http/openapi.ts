import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { exampleOf, type JsonSchema } from './openapi-examples.js';
import { errorBody, errorResponse } from './schemas.js';

/** Methods whose body Fastify reads when one is sent, declared or not: DELETE too (not GET or HEAD). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SUCCESS: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted: the rest happens in the background', 204: 'Done; no body' };

/** Answered by the router before any route runs (frameworkErrorHandler), in Fastify's words. */
const URI_TOO_LONG = errorBody.meta({
  description: 'A path parameter is longer than 100 characters',
  examples: [{ error: { code: 'INVALID_DATA', message: `'/inventory/${'MUG-BLUE-'.repeat(12)}' is exceeding the max param length.` } }],
});

type RouteSchema = FastifySchema & { hide?: boolean; response?: Record<string, unknown>; security?: unknown; description?: string; tags?: string[] };

/**
 * The error statuses a route can answer because of how it is set up, whatever its handler
 * does: a key (401), a role above viewer (403), the rate limit (429), validated input (400),
 * a body (413, 415; DELETE too, whose body is read if sent), a resource named in the path
 * (404), a path parameter (414: the router's length limit). Routes declare only their own.
 */
function impliedErrors(route: RouteOptions, schema: RouteSchema): number[] {
  const role = route.config?.role;
  const methods = [route.method].flat();
  const codes: number[] = [];
  if (schema.body || schema.querystring || schema.params || schema.headers || methods.some((m) => BODY_METHODS.has(m))) codes.push(400);
  if (role !== false) codes.push(401);
  if (role === 'operator' || role === 'admin') codes.push(403);
  if (schema.params) codes.push(404);
  if (route.url.includes(':')) codes.push(414);
  if (methods.some((m) => BODY_METHODS.has(m))) codes.push(413, 415);
  if (route.config?.rateLimit !== false) codes.push(429);
  return codes;
}

/** Examples on the root of each body and response schema, and on each path and header parameter. */
function addExamples(schema: Record<string, unknown>, tag: string | undefined): void {
  const withExample = (s: JsonSchema | undefined, where = {}) => {
    if (s && typeof s === 'object' && !s.examples?.length && s.type !== 'null') s.examples = [exampleOf(s, { tag, ...where })];
  };
  withExample(schema.body as JsonSchema | undefined);
  for (const container of ['params', 'headers'] as const) {
    const props = (schema[container] as JsonSchema | undefined)?.properties ?? {};
    for (const [name, p] of Object.entries(props)) withExample(p, { name });
  }
  const responses = (schema.response ?? {}) as Record<string, JsonSchema & { content?: Record<string, { schema: JsonSchema; example?: unknown }> }>;
  for (const res of Object.values(responses)) {
    if (!res.content) {
      withExample(res);
      continue;
    }
    // Media types other than JSON: the example goes on the media object, where viewers look.
    for (const media of Object.values(res.content)) {
      if (media.example === undefined) media.example = media.schema.examples?.[0] ?? exampleOf(media.schema, { tag });
      delete media.schema.examples;
    }
  }
}

/**
 * Route schema -> OpenAPI operation: zod to JSON Schema (fastify-type-provider-zod), then
 * what the route's config implies: its error responses, who may call it, and examples.
 */
function transform(input: Parameters<typeof jsonSchemaTransform>[0]): ReturnType<typeof jsonSchemaTransform> {
  const schema = input.schema as RouteSchema | undefined;
  if (!schema || schema.hide) return jsonSchemaTransform(input);
  const { route } = input;
  const role = route.config?.role;
  const implied = Object.fromEntries(impliedErrors(route, schema).map((c) => [c, c === 414 ? URI_TOO_LONG : errorResponse(c)])) as Record<number, z.ZodType>;
  const out = jsonSchemaTransform({ ...input, schema: { ...schema, response: { ...implied, ...schema.response } } });
  const doc = out.schema as Record<string, unknown> & { response: Record<string, Record<string, unknown>> };

  for (const [status, res] of Object.entries(doc.response)) {
    if (SUCCESS[status] && !res.description && !res['x-response-description']) res['x-response-description'] = SUCCESS[status];
  }
  if (doc.response[429]) {
    doc.response[429].headers = { 'retry-after': { type: 'integer', description: 'Seconds until the key may call again' } };
  }
  // Open routes say so; every other route takes the document-wide bearer key.
  if (role === false && schema.security === undefined) doc.security = [];
  if ((role === 'operator' || role === 'admin') && !schema.description) {
    doc.description = `Needs a key with the ${role} role${role === 'operator' ? ' (or admin)' : ''}.`;
  }
  addExamples(doc, schema.tags?.[0]);
  return out;
}

export async function registerOpenapi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ordersys API',
        version: '0.1.0',
        description:
          'Order processing: intake, workflow, analytics. Send `Authorization: Bearer <key>` (create one with `ordersys keys create`). ' +
          'Every error has the shape `{ "error": { "code", "message", "details"? } }`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `ordersys keys create --tenant T --role viewer|operator|admin`' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when the server sets one' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
