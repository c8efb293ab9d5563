import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvReader } from '../../src/modules/imports/csv-reader.js';
import { generateCsv } from '../../src/modules/imports/generate-csv.js';
import { mapCsv, newImportCounts } from '../../src/modules/imports/import-stream.js';
import { DomainError } from '../../src/platform/errors.js';

/*
 * Hostile input for the CSV reader and mapper: whatever the bytes, the reader never throws
 * (a UTF-16 file is refused as a whole, with a DomainError), every physical line is accounted
 * for exactly once, and where the stream is cut into chunks changes nothing.
 */

const MAX = 256; // a small record cap, so random input reaches the over-long paths

/** Bytes biased towards what breaks CSV: quotes, commas, CR, LF, invalid UTF-8 and multi-byte starts. */
const hostileBytes = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(0x22, 0x2c, 0x0a, 0x0d, 0xff, 0xfe, 0xc3, 0xe2, 0x80, 0xef, 0xbb, 0xbf) },
      { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
    ),
    { maxLength: 2000 },
  )
  .map((a) => Buffer.from(a));

/** Text made of CSV-ish pieces: whole fields, broken quotes, long runs, blank lines. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom('"', '""', ',', '\n', '\r\n', '\r', '\n\n', 'é', '€', '\uFEFF', 'a', 'x,y', '"q""q"', '"open'),
      fc.string({ maxLength: 20 }),
      fc.integer({ min: 0, max: 600 }).map((n) => 'z'.repeat(n)),
    ),
    { maxLength: 200 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'utf8'));

const chunkSizes = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 });

function readAll(input: Buffer, sizes: number[], maxRecordBytes = MAX) {
  const reader = new CsvReader({ maxRecordBytes });
  const records = [];
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const size = sizes[i % sizes.length]!;
    records.push(...reader.push(input.subarray(at, at + size)));
    at += size;
  }
  records.push(...reader.end());
  return { records, stats: reader.stats };
}

const isUtf16 = (b: Buffer) => (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);

/** Physical lines: split on LF; a last piece without LF counts only when it is not empty. */
function physicalLines(input: Buffer): number {
  let n = 0;
  for (let i = input.indexOf(0x0a); i >= 0; i = input.indexOf(0x0a, i + 1)) n++;
  const tail = input.length - (input.lastIndexOf(0x0a) + 1);
  const bom = input.length >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf && input.lastIndexOf(0x0a) < 0 ? 3 : 0;
  return n + (tail - bom > 0 ? 1 : 0);
}

function checkAccounting(input: Buffer, sizes: number[]) {
  const { records, stats } = readAll(input, sizes);
  // Every physical line belongs to exactly one record (its span line..endLine) or is blank.
  const covered = new Set<number>();
  for (const r of records) {
    expect(r.endLine).toBeGreaterThanOrEqual(r.line);
    for (let l = r.line; l <= r.endLine; l++) {
      expect(covered.has(l), `line ${l} read twice`).toBe(false);
      covered.add(l);
    }
    expect(r.raw.length).toBeLessThanOrEqual(MAX + 1024);
    if (r.error === null) expect(r.raw).not.toContain('\uFFFD');
  }
  expect(covered.size + stats.blankLines).toBe(physicalLines(input));
  expect(stats.records).toBe(records.length);
  expect(stats.bytesRead).toBe(input.length);
  return records.map((r) => [r.line, r.endLine, r.fields, r.error, r.raw]);
}

describe('CSV reader under hostile input', () => {
  it('never throws on random bytes, except to refuse a UTF-16 file as a whole (DomainError)', () => {
    fc.assert(
      fc.property(hostileBytes, chunkSizes, (input, sizes) => {
        try {
          checkAccounting(input, sizes);
        } catch (err) {
          if (!isUtf16(input)) throw err;
          expect(err).toBeInstanceOf(DomainError);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('accounts for every line and gives the same records whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(fc.oneof(hostileText, hostileBytes.filter((b) => !isUtf16(b))), chunkSizes, (input, sizes) => {
        const whole = checkAccounting(input, [input.length + 1]);
        expect(checkAccounting(input, sizes)).toEqual(whole);
        expect(checkAccounting(input, [1])).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a 10 MB line, a 10 MB unclosed quote and a 10 MB quoted field in bounded time and goes on', () => {
    const ten = 10 * 1024 * 1024;
    const cases = [
      Buffer.concat([Buffer.from('h\n'), Buffer.alloc(ten, 'x'), Buffer.from('\nafter\n')]),
      Buffer.concat([Buffer.from('h\n1,"'), Buffer.alloc(ten, 'y'), Buffer.from('\nafter\n')]),
      Buffer.concat([Buffer.from('h\n1,"'), Buffer.alloc(ten, '\n'), Buffer.from('"\nafter\n')]),
      Buffer.concat([Buffer.from('h\n'), Buffer.alloc(ten, ','), Buffer.from('\nafter\n')]),
    ];
    for (const input of cases) {
      const started = Date.now();
      const { records, stats } = readAll(input, [65_536], 1024 * 1024);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(stats.bytesRead).toBe(input.length);
      expect(records.at(-1)).toMatchObject({ fields: ['after'], error: null });
      expect(records.slice(1, -1).some((r) => r.error !== null)).toBe(true);
    }
  });
});

async function mapAll(input: Buffer, sizes: number[]) {
  const counts = newImportCounts();
  async function* source() {
    let at = 0;
    for (let i = 0; at < input.length; i++) {
      const size = sizes[i % sizes.length]!;
      yield input.subarray(at, at + size);
      at += size;
    }
  }
  const lines = [];
  for await (const batch of mapCsv(source(), { maxRecordBytes: MAX }, counts)) lines.push(...batch);
  return { lines, counts };
}

async function generated(lines: number, seed: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of generateCsv({ lines, seed, errorRate: 0.1 })) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** A generated file with random damage spliced in at random places. */
const damagedFile = fc
  .tuple(fc.integer({ min: 1, max: 1000 }), fc.array(fc.tuple(fc.nat(), fc.oneof(hostileText, hostileBytes)), { maxLength: 6 }))
  .map(([seed, damage]) => ({ seed, damage }));

describe('CSV mapping (mapCsv) under hostile input', () => {
  it('accepts or rejects every data line, counts blank lines apart, and only fails a file for its header', async () => {
    await fc.assert(
      fc.asyncProperty(damagedFile, chunkSizes, async ({ seed, damage }, sizes) => {
        let input = await generated(40, seed);
        for (const [at, bytes] of damage) {
          const cut = at % (input.length + 1);
          input = Buffer.concat([input.subarray(0, cut), bytes, input.subarray(cut)]);
        }
        let result;
        try {
          result = await mapAll(input, sizes);
        } catch (err) {
          // A file whose header is broken or missing is refused as a whole, in one sentence.
          expect(err).toBeInstanceOf(DomainError);
          expect((err as DomainError).code).toBe('INVALID_DATA');
          return;
        }
        const { lines, counts } = result;
        expect(counts.accepted + counts.rejected).toBe(counts.linesRead);
        expect(lines).toHaveLength(counts.linesRead);
        expect(counts.linesRead).toBe(counts.records - 1); // the header is a record, not a line
        expect(lines.filter((l) => l.ok)).toHaveLength(counts.accepted);
        expect(counts.bytesRead).toBe(input.length);
        for (const l of lines) if (!l.ok) expect(l.errors.length).toBeGreaterThan(0);
        const again = await mapAll(input, [1 + (seed % 97)]);
        expect(again.lines).toEqual(lines);
        expect(again.counts).toEqual(counts);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses random bytes as a file only with a DomainError, never another exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileBytes, hostileText), chunkSizes, async (input, sizes) => {
        try {
          const { counts } = await mapAll(input, sizes);
          expect(counts.accepted + counts.rejected).toBe(counts.linesRead);
        } catch (err) {
          expect(err).toBeInstanceOf(DomainError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a 10 MB line on its own and accepts the lines around it', async () => {
    const good = (await generated(3, 7)).toString('utf8').split('\n');
    const header = good[0]!;
    const valid = good.slice(1).filter((l) => l !== '' && !l.includes('"'));
    const input = Buffer.concat([Buffer.from(`${header}\n${valid[0]}\n`), Buffer.alloc(10 * 1024 * 1024, 'q'), Buffer.from(`\n${valid[0]}\n\n`)]);
    const counts = newImportCounts();
    const lines = [];
    for await (const batch of mapCsv((async function* () { yield input; })(), {}, counts)) lines.push(...batch);
    expect(counts).toMatchObject({ linesRead: 3, rejected: 1, blankLines: 1, bytesRead: input.length });
    expect(lines[1]).toMatchObject({ ok: false, line: 3 });
  });
});
