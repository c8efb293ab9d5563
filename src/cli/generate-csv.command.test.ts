import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli.js';

describe('ordersys generate-csv --out', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-gen-out-'));
    writeFileSync(path.join(dir, 'plain-file'), '');
    env = { ORDERSYS_DATA_DIR: path.join(dir, 'data') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['missing/x.csv', 'no such directory'],
    ['.', 'is a directory; give a file name'],
    ['plain-file/x.csv', 'a parent of it is not a directory'],
  ])('refuses %s in one line naming the path: %s', async (name, problem) => {
    const out = path.join(dir, name);
    const res = await runCli(['generate-csv', '--lines', '10', '--out', out], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`ordersys: --out ${out}: ${problem}.\n`);
    expect(res.stdout).toBe('');
  });

  it('writes the file it is given', async () => {
    const out = path.join(dir, 'orders.csv');
    const res = await runCli(['generate-csv', '--lines', '10', '--out', out], env);
    expect(res).toMatchObject({ code: 0, stderr: `wrote 10 lines to ${out}\n` });
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(11);
  });
});
