import type { Command } from 'commander';
import { writeGeneratedCsv } from '../modules/imports/generate-csv.js';
import { invalid } from '../platform/errors.js';
import { intOption, openOut, outError } from './options.js';

const rateOption = (value: string): number => {
  const n = Number(value);
  if (!(value.trim() !== '' && n >= 0 && n <= 1)) throw invalid('--error-rate', `"${value}" must be a number from 0 to 1.`);
  return n;
};

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
