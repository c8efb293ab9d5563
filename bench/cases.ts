/** The benchmark cases and the comparisons printed at the end. */
export const CASES: { name: string; script: string; env?: Record<string, string>; backends: ('postgres' | 'embedded')[] }[] = [
  { name: 'floors', script: 'bench/cases/floors.ts', backends: ['postgres', 'embedded'] },
  { name: 'ingest', script: 'bench/cases/pipeline.ts', env: { BENCH_MODE: 'ingest' }, backends: ['postgres', 'embedded'] },
  { name: 'pipeline', script: 'bench/cases/pipeline.ts', env: { BENCH_MODE: 'pipeline' }, backends: ['postgres', 'embedded'] },
  { name: 'usual-design', script: 'bench/baselines/usual-design.ts', backends: ['postgres'] },
  { name: 'api', script: 'bench/cases/api.ts', backends: ['postgres', 'embedded'] },
];

/** value / reference, or reference / value with `invert` (so that bigger always reads "better"). */
export const RATIOS: { label: string; figure: string; reference: string; referenceBackend?: string; invert?: boolean; target?: string }[] = [
  { label: 'ingest vs raw COPY floor', figure: 'ingest: parse, validate, write orders and items', reference: 'floor: raw COPY into a bare table', target: '>= 250,000 lines/s on PostgreSQL' },
  { label: 'ingest vs the schema write floor', figure: 'ingest: parse, validate, write orders and items', reference: 'floor: the same rows written into the schema' },
  { label: 'schema write floor vs key-only tables', figure: 'floor: the same rows written into the schema', reference: 'floor: the same rows into key-only tables' },
  { label: 'ingest vs parsing alone', figure: 'ingest: parse, validate, write orders and items', reference: 'parse+validate only', referenceBackend: 'postgres' },
  { label: 'pipeline vs usual design', figure: 'pipeline: every order final', reference: 'usual design: orders final', referenceBackend: 'postgres', target: '>= 20x' },
  { label: 'pipeline vs raw COPY floor', figure: 'pipeline: lines to every order final', reference: 'floor: raw COPY into a bare table', target: 'within 10x (ratio >= 0.1)' },
];
