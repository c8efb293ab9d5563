import { existsSync, mkdirSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { generateCsv } from '../../src/modules/imports/generate-csv.js';

export const BENCH_DIR = path.resolve('.tmp/bench');

/** The generated file every benchmark reads: same lines, same seed, made once per size. */
export async function benchFile(lines: number, seed = 7): Promise<string> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const file = path.join(BENCH_DIR, `orders-${lines}-${seed}.csv`);
  if (!existsSync(file)) {
    const tmp = `${file}.part`;
    await pipeline(Readable.from(generateCsv({ lines, seed })), createWriteStream(tmp));
    const { renameSync } = await import('node:fs');
    renameSync(tmp, file);
  }
  return file;
}

export const benchLines = (): number => Number(process.env.BENCH_LINES ?? 1_000_000);
