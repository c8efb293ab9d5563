import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli.js';
import { cliDatabase, type CliDatabase } from '../../test/cli-env.js';
import { intOption } from './options.js';

describe('ordersys seed', () => {
  let cli: CliDatabase;
  beforeAll(async () => {
    cli = await cliDatabase();
  });
  afterAll(() => cli.close());

  it('reads whole numbers within the bounds only, naming the option', () => {
    const products = intOption('--products', 0, 1_000_000);
    expect(products('0')).toBe(0);
    expect(products('1000000')).toBe(1_000_000);
    for (const bad of ['1000001', '99999999999', '-1', '1e3', '0x10', '', '2.5', '10 ']) {
      expect(() => products(bad)).toThrow(`--products: "${bad}" must be a whole number from 0 to 1000000.`);
    }
    expect(() => intOption('--lines', 1)('0')).toThrow('--lines: "0" must be a whole number >= 1.');
  });

  it.each([
    [['--products', '99999999999'], '--products: "99999999999" must be a whole number from 0 to 1000000.'],
    [['--customers', '1000001'], '--customers: "1000001" must be a whole number from 0 to 1000000.'],
    [['--tenant', 'BAD_SLUG'], '--tenant: "BAD_SLUG" must be 1-63 lowercase letters, digits or dashes'],
  ])('refuses %j in one line before writing anything', async (args, message) => {
    const res = await runCli(['seed', ...args], cli.env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^ordersys: [^\n]+\n$/);
    expect(res.stderr).toContain(`ordersys: ${message}`);
    expect(res.stdout).toBe('');
  });

  it('seeds a catalog within the bounds into the tenant it is given', async () => {
    const res = await runCli(['seed', '--products', '3', '--customers', '2', '--tenant', 'acme'], cli.env);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('tenant acme: 3 products and 2 customers created (0 and 0 already present)\n');
  });
});
