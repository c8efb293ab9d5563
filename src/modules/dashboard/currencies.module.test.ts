import { describe, expect, it } from 'vitest';
import { minorDigits } from '../../platform/money.js';
import { currenciesModule } from './currencies.module.js';

/** The module as the browser gets it, run by Node's own loader. */
async function load(body: string): Promise<{ minorDigits: (currency: string) => number }> {
  return import(/* @vite-ignore */ `data:text/javascript;base64,${Buffer.from(body).toString('base64')}`);
}

describe(currenciesModule.name, () => {
  it("gives every ISO 4217 currency the server's minor digits", async () => {
    const served = await load(currenciesModule().body);
    const codes = Intl.supportedValuesOf('currency');
    expect(codes.length).toBeGreaterThan(100);
    expect(codes.filter((c) => served.minorDigits(c) !== minorDigits(c))).toEqual([]);
    // Some the browser gets wrong on its own (CLDR), and the usual ones.
    expect(Object.fromEntries(['IDR', 'IQD', 'COP', 'HUF', 'JPY', 'USD', 'KWD'].map((c) => [c, served.minorDigits(c)]))).toEqual({
      IDR: 2, IQD: 3, COP: 2, HUF: 2, JPY: 0, USD: 2, KWD: 3,
    });
  });

  it('takes nothing from the object prototype for a code it does not know', async () => {
    const served = await load(currenciesModule().body);
    expect(['XYZ', 'constructor', '__proto__', 'toString'].map(served.minorDigits)).toEqual([2, 2, 2, 2]);
  });
});
