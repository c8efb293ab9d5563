import { createWriteStream } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { writeGeneratedCsv } from '../modules/imports/generate-csv.js';
import { intOption } from './seed.command.js';

const rateOption = (value: string): number => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`--error-rate must be a number from 0 to 1 (got "${value}").`);
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
      const out = opts.out ? createWriteStream(opts.out) : process.stdout;
      await writeGeneratedCsv({ lines: opts.lines, seed: opts.seed, errorRate: opts.errorRate }, out);
      if (opts.out) console.error(`wrote ${opts.lines} lines to ${opts.out}`);
    });
}
