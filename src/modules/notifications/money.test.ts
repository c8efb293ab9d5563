import { describe, expect, it } from 'vitest';
import { decimalAmount, formatMoney } from './money.js';

describe(formatMoney.name, () => {
  it('splits minor units by the currency fraction digits', () => {
    expect(formatMoney(123456, 'EUR')).toBe('EUR 1,234.56');
    expect(formatMoney(5, 'USD')).toBe('USD 0.05');
    expect(formatMoney(1500, 'JPY')).toBe('JPY 1,500');
    expect(formatMoney(1234, 'BHD')).toBe('BHD 1.234');
  });

  it('keeps exact digits beyond float precision and shows the sign', () => {
    expect(formatMoney(9_007_199_254_740_991, 'EUR')).toBe('EUR 90,071,992,547,409.91');
    expect(formatMoney(-250, 'EUR')).toBe('-EUR 2.50');
  });
});

describe(decimalAmount.name, () => {
  it('writes the amount alone, exact, grouped only when asked', () => {
    expect(decimalAmount(9_007_199_254_740_991, 'EUR')).toBe('90071992547409.91');
    expect(decimalAmount(-5, 'USD')).toBe('-0.05');
    expect(decimalAmount(1500, 'JPY', true)).toBe('1,500');
    expect(decimalAmount(1234, 'XYZ')).toBe('12.34');
  });
});
