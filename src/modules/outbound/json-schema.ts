/*
 * A validator for the subset of JSON Schema (2020-12) that docs/events.schema.json uses: type,
 * required, properties, additionalProperties: false, enum, const, pattern, minimum, local $ref,
 * allOf and if/then. Anything else in a schema is refused, so the schema cannot silently grow past
 * what is checked. `format` and `description`-like keywords are annotations and ignored.
 */
export type Schema = { [keyword: string]: unknown };

const CHECKED = new Set(['type', 'required', 'properties', 'additionalProperties', 'enum', 'const', 'pattern', 'minimum', '$ref', 'allOf', 'if', 'then']);
const ANNOTATIONS = new Set(['$schema', '$id', '$defs', 'title', 'description', 'format']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const m = /^#\/\$defs\/(.+)$/.exec(ref);
    const target = m ? (root.$defs as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${ref}`);
    return target;
  };
  const check = (schema: Schema, v: unknown, at: string, out: string[]): void => {
    for (const k of Object.keys(schema)) if (!CHECKED.has(k) && !ANNOTATIONS.has(k)) throw new Error(`keyword ${k} at ${at} is not supported`);
    if (schema.$ref) check(resolve(schema.$ref as string), v, at, out);
    if (schema.type !== undefined) {
      const allowed = ([] as string[]).concat(schema.type as string | string[]);
      const t = typeOf(v);
      if (!allowed.includes(t) && !(t === 'integer' && allowed.includes('number'))) out.push(`${at}: expected ${allowed.join('|')}, got ${t}`);
    }
    if ('const' in schema && v !== schema.const) out.push(`${at}: must be ${JSON.stringify(schema.const)}`);
    if (schema.enum && !(schema.enum as unknown[]).includes(v)) out.push(`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    if (typeof schema.pattern === 'string' && typeof v === 'string' && !new RegExp(schema.pattern, 'u').test(v)) out.push(`${at}: "${v}" does not match ${schema.pattern}`);
    if (typeof schema.minimum === 'number' && typeof v === 'number' && v < schema.minimum) out.push(`${at}: ${v} is below ${schema.minimum}`);
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) out.push(`${at}: missing ${r}`);
      const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
      for (const [k, sub] of Object.entries(props)) if (k in obj) check(sub, obj[k], `${at}.${k}`, out);
      if (schema.additionalProperties === false) for (const k of Object.keys(obj)) if (!(k in props)) out.push(`${at}: unexpected property ${k}`);
    }
    for (const sub of (schema.allOf as Schema[] | undefined) ?? []) check(sub, v, at, out);
    if (schema.if) {
      const probe: string[] = [];
      check(schema.if as Schema, v, at, probe);
      if (probe.length === 0 && schema.then) check(schema.then as Schema, v, at, out);
    }
  };
  check(root, value, '$', errors);
  return errors;
}
