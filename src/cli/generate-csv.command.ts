import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { writeGeneratedCsv } from '../modules/imports/generate-csv.js';
import { DomainError, invalid } from '../platform/errors.js';
import { intOption } from './seed.command.js';

const rateOption = (value: string): number => {
  const n = Number(value);
  if (!(value.trim() !== '' && n >= 0 && n <= 1)) throw invalid('--error-rate', `"${value}" must be a number from 0 to 1.`);
  return n;
};

/** Failures of the --out path the user can fix, in words; any other error stays a bug with its stack. */
const OUT_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'a parent of it is not a directory',
  EISDIR: 'is a directory; give a file name',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

function outError(file: string, err: unknown): unknown {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  const problem = OUT_PROBLEMS[code];
  return problem ? new DomainError('INVALID_DATA', `--out ${file}: ${problem}.`, { field: '--out' }) : err;
}

/** Opens --out before generating anything, so a bad path is one line naming it, not a stream error. */
async function openOut(file: string): Promise<Writable> {
  try {
    return (await open(file, 'w')).createWriteStream();
  } catch (err) {
    throw outError(file, err);
  }
}

export function registerGenerateCsv(program: Command): void {
  program
    .command('generate-csv')
    .description('write a deterministic native-format order file (matches `ordersys seed`), to stdout or --out')
    .requiredOption('--lines <n>', 'data lines (header not counted)', intOption('--lines', 1))
    .option('--seed <s>', 'same seed, same bytes', intOption('--seed'), 1)
    .option('--error-rate <r>', 'fraction of lines made invalid, 0..1', rateOption, 0)
    .option('--out <file>', 'file to write (default: stdout)')
    .action(async (opts: { lines: number; seed: number; errorRate: number; out?: string }) => {
      const out = opts.out ? await openOut(opts.out) : process.stdout;
      try {
        await writeGeneratedCsv({ lines: opts.lines, seed: opts.seed, errorRate: opts.errorRate }, out);
      } catch (err) {
        throw opts.out ? outError(opts.out, err) : err;
      }
      if (opts.out) console.error(`wrote ${opts.lines} lines to ${opts.out}`);
    });
}
