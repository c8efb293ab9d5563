import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli.js';
import { cliDatabase, type CliDatabase } from '../../test/cli-env.js';
import { currencyOption } from './kpi.command.js';

describe('ordersys leaderboard --currency', () => {
  let cli: CliDatabase;
  beforeAll(async () => {
    cli = await cliDatabase();
  });
  afterAll(() => cli.close());

  it('takes an ISO 4217 code in any case, upper-cased, and refuses anything else naming the option', () => {
    expect(currencyOption('eur')).toBe('EUR');
    expect(currencyOption('Jpy')).toBe('JPY');
    for (const bad of ['EURO', 'XYZ', 'EU', '', '€']) {
      expect(() => currencyOption(bad)).toThrow(`--currency: "${bad}" is not an ISO 4217 currency code like EUR or JPY.`);
    }
  });

  it('refuses EURO in one line instead of answering that there are no orders', async () => {
    const res = await runCli(['leaderboard', '--currency', 'EURO'], cli.env);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('ordersys: --currency: "EURO" is not an ISO 4217 currency code like EUR or JPY.\n');
    expect(res.stdout).toBe('');
  });

  it('answers for a known code given in lower case', async () => {
    expect((await runCli(['seed', '--products', '1', '--customers', '1'], cli.env)).code).toBe(0);
    const res = await runCli(['leaderboard', '--currency', 'jpy'], cli.env);
    expect(res).toMatchObject({ code: 0, stderr: '', stdout: 'no completed orders yet\n' });
  });
});
