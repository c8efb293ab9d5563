import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { tenantOf } from '../../http/auth.js';
import { errorResponses, idParams } from '../../http/schemas.js';
import { DomainError, notFound } from '../../platform/errors.js';
import { importDto, toImportDto } from './import.dto.js';
import { MAX_DEFAULT_STOCK, PRESETS, resolveImportOptions } from './import.options.js';
import { errorReport, reportKept } from './import.error-report.js';
import { findImport, listImports } from './import.repository.js';
import { importUpload } from './import.service.js';

const uploadQuery = z.object({
  preset: z.enum(PRESETS as [string, ...string[]]).default('native'),
  map: z.union([z.string(), z.array(z.string())]).optional().describe('field=Header, repeatable: map=order_code=InvoiceNo'),
  createProducts: z.enum(['true', 'false']).optional().describe('create unknown SKUs from the file (needs defaultStock)'),
  defaultStock: z.coerce.number().int().min(0).max(MAX_DEFAULT_STOCK).optional(),
  fileName: z.string().trim().min(1).max(255).optional().describe('shown in reports; default upload.csv'),
});

const ERRORS_EXAMPLE = "line,field,reason,raw\r\n3,quantity,quantity '0' is 0: order at least 1,\"SO-1043,2024-05-01T10:00:00Z,ada@example.com,Ada,MUG-BLUE,Mug,0,12.50,EUR\"\r\n";

export const importRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  // The upload is handed on as the request stream, never buffered: phase 1 reads while it arrives.
  app.addContentTypeParser('text/csv', (_req, payload, done) => done(null, payload));

  app.post(
    '/imports',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['imports'],
        summary: 'Import a CSV file streamed as the raw body (Content-Type: text/csv); orders are created by a background job',
        querystring: uploadQuery,
        headers: z.object({
          'idempotency-key': z.string().trim().min(1).max(255).optional()
            .describe('the same key with the same file and options answers with the first import; with another file or options, 422'),
        }),
        response: { 202: importDto, ...errorResponses(400, 401, 403, 409, 413, 422) },
      },
    },
    async (req, reply) => {
      const tenantId = tenantOf(req);
      const body = req.body as Readable | undefined;
      if (!(body instanceof Readable)) throw new DomainError('INVALID_DATA', 'Send the CSV file as the request body with Content-Type: text/csv.');
      const q = req.query;
      const maxBytes = ctx.config.importMaxBytes;
      const length = Number(req.headers['content-length']);
      if (Number.isFinite(length) && length > maxBytes) {
        body.resume();
        throw new DomainError('PAYLOAD_TOO_LARGE', `The file is ${length} bytes; imports accept up to ${maxBytes} (IMPORT_MAX_BYTES). Split it into several files.`);
      }
      if (q.preset === 'northwind') {
        body.resume();
        throw new DomainError('INVALID_DATA', 'The northwind preset needs its orders, products and customers files: import it with `ordersys import --preset northwind`.');
      }
      const options = resolveImportOptions(
        { preset: q.preset, map: q.map === undefined ? [] : [q.map].flat(), createProducts: q.createProducts === 'true', defaultStock: q.defaultStock },
        { map: 'map', createProducts: 'createProducts', defaultStock: 'defaultStock' },
      );
      const upload = importUpload(ctx, {
        tenantId,
        fileName: q.fileName ?? 'upload.csv',
        options,
        mapping: { preset: options.preset, map: options.map },
        source: body,
        bytesTotal: Number.isFinite(length) ? length : null,
        idempotencyKey: req.headers['idempotency-key'],
        read: { maxBytes },
      });
      // A file refused mid-way: drain the rest so the error reaches the client.
      const { imp, replayed } = await upload.catch((err: unknown) => {
        body.resume();
        throw err;
      });
      if (replayed) reply.header('Idempotent-Replayed', 'true'); // the stored import answers: the body was hashed, not imported
      return reply.code(202).header('location', `/imports/${imp.id}`).send(toImportDto(imp));
    },
  );

  app.get(
    '/imports',
    {
      schema: {
        tags: ['imports'],
        summary: 'Recent imports, newest first',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: z.object({ items: z.array(importDto) }), ...errorResponses(400, 401) },
      },
    },
    async (req) => ({ items: (await listImports(ctx.db, tenantOf(req), req.query.limit)).map(toImportDto) }),
  );

  app.get(
    '/imports/:id',
    {
      schema: {
        tags: ['imports'],
        summary: 'One import: status, phase, counts and progress',
        params: idParams,
        response: { 200: importDto, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const imp = await findImport(ctx.db, tenantOf(req), req.params.id);
      if (!imp) throw notFound('Import', req.params.id);
      return toImportDto(imp);
    },
  );

  app.get(
    '/imports/:id/errors',
    {
      schema: {
        tags: ['imports'],
        summary: 'Rejected lines as CSV (line,field,reason,raw), in file order; one row per problem',
        params: idParams,
        response: {
          200: {
            description: 'The report; only the header line when no line was rejected',
            content: { 'text/csv': { schema: z.string().meta({ examples: [ERRORS_EXAMPLE] }) } },
          },
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (req, reply) => {
      const imp = await findImport(ctx.db, tenantOf(req), req.params.id);
      if (!imp) throw notFound('Import', req.params.id);
      reportKept(imp);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="import-${imp.id}-errors.csv"`)
        // Streamed, never serialized: the schema documents the text the client receives.
        .send(Readable.from(errorReport(ctx.db, imp.id)) as unknown as string);
    },
  );
};
