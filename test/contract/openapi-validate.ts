import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/*
 * OpenAPI 3.1 schemas are JSON Schema 2020-12: ajv's 2020 dialect validates them as they are.
 * Strict mode stays on, so a keyword ajv does not know fails loudly instead of being ignored.
 */

export interface Media {
  schema: object;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
export interface OpenapiResponse {
  description: string;
  content?: Record<string, Media>;
  headers?: Record<string, unknown>;
}
export interface OpenapiOperation {
  summary?: string;
  requestBody?: { content: Record<string, Media> };
  parameters?: { in: string; name: string; schema: object; required?: boolean; example?: unknown }[];
  responses: Record<string, OpenapiResponse>;
  security?: unknown[];
}
export interface OpenapiDoc {
  paths: Record<string, Record<string, OpenapiOperation>>;
}

export function loadDoc(file = 'docs/openapi.json'): OpenapiDoc {
  return JSON.parse(readFileSync(file, 'utf8')) as OpenapiDoc;
}

/** What a check reads of a response: app.inject's answer, or one read from a socket. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

const mime = (contentType: string | undefined) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

export class ContractChecker {
  /** "GET /orders/{id}" -> the statuses seen and checked. */
  readonly answered = new Map<string, Set<number>>();
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true });
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor(readonly doc: OpenapiDoc) {
    addFormatsModule.default(this.ajv);
  }

  operation(method: string, path: string): OpenapiOperation | undefined {
    return this.doc.paths[path]?.[method.toLowerCase()];
  }

  /** What is wrong with `value` under `schema`, one line per problem; [] when it is valid. */
  problemsOf(schema: object, value: unknown): string[] {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }

  /** A live response against the operation it answered: status, media type, headers, body. */
  check(method: string, path: string, res: Answer): string[] {
    const where = `${method} ${path} -> ${res.statusCode}`;
    const op = this.operation(method, path);
    if (!op) return [`${method} ${path} is not in the document`];
    const declared = op.responses[String(res.statusCode)];
    if (!declared) return [`${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')}); body ${res.body.slice(0, 300)}`];
    const seen = this.answered.get(`${method} ${path}`) ?? new Set<number>();
    this.answered.set(`${method} ${path}`, seen.add(res.statusCode));

    const problems: string[] = [];
    for (const header of Object.keys(declared.headers ?? {})) {
      if (res.headers[header.toLowerCase()] === undefined) problems.push(`${where}: documented header ${header} is missing`);
    }
    if (!declared.content) {
      if (res.body !== '') problems.push(`${where}: documented without a body, answered ${res.body.slice(0, 200)}`);
      return problems;
    }
    const type = mime(String(res.headers['content-type'] ?? ''));
    const media = declared.content[type];
    if (!media) return [...problems, `${where}: content type ${type || '(none)'} not documented (documented: ${Object.keys(declared.content).join(', ')})`];
    let body: unknown = res.body;
    if (type === 'application/json') {
      try {
        body = JSON.parse(res.body);
      } catch {
        return [...problems, `${where}: body is not JSON: ${res.body.slice(0, 200)}`];
      }
    }
    return [...problems, ...this.problemsOf(media.schema, body).map((p) => `${where}: ${p}`)];
  }
}
