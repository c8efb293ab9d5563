/** The operations of an OpenAPI document, with a concrete URL for each (path params filled in). */
export interface Operation {
  method: string;
  path: string;
  url: string;
  documented: Set<number>;
  needsAuth: boolean;
}

type Doc = { paths: Record<string, Record<string, { responses?: Record<string, unknown>; security?: unknown[] }>> };

export function operations(doc: Doc, fill: (path: string, param: string) => string): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (path.startsWith('/docs')) continue;
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const url = path.replace(/\{(\w+)\}/g, (_, param: string) => encodeURIComponent(fill(path, param)));
      ops.push({
        method: method.toUpperCase(),
        path,
        url,
        documented: new Set(Object.keys(op.responses ?? {}).map(Number)),
        needsAuth: !/^\/(health|metrics|webhooks\/payments)/.test(path),
      });
    }
  }
  return ops;
}
