import { describe, expect, it } from 'vitest';
import { discountedMinorUnits, formatMinor, formatMoney, minorDigits, parseMoney } from './money.js';

const money = (text: string, digits = 2) => {
  const r = parseMoney(text, digits);
  return r.ok ? r.value : r.reason;
};

describe(parseMoney.name, () => {
  it('reads decimal text into exact minor units', () => {
    expect([money('12.34'), money('0.29'), money('2.1'), money('15'), money('0'), money('007.50')]).toEqual([1234, 29, 210, 1500, 0, 750]);
  });

  it('never goes through floats: 1.15, 4.35 and 0.29 stay exact', () => {
    expect([money('1.15'), money('4.35'), money('1234567.89')]).toEqual([115, 435, 123456789]);
  });

  it('rejects more decimals than the currency has', () => {
    expect(money('12.345')).toBe('has more than 2 decimal places');
    expect(money('12.345', 3)).toBe(12345);
    expect(money('100.5', 0)).toBe('has decimals, but the currency has none');
  });

  it('rejects negative, empty, malformed and absurdly large amounts', () => {
    expect(money('-1.00')).toBe('is negative');
    for (const bad of ['', 'abc', '1,50', '12.', '.5', '1e3', ' 1', '--1', '1.2.3']) expect(money(bad)).toBe('is not a number like 12.34');
    expect(money('99999999999999')).toBe('is too large');
  });

  it('knows currencies without cents', () => {
    expect([minorDigits('JPY'), minorDigits('KWD'), minorDigits('EUR')]).toEqual([0, 3, 2]);
  });

  it('formats minor units back for messages', () => {
    expect([formatMinor(255, 2), formatMinor(5, 2), formatMinor(1000, 0)]).toEqual(['2.55', '0.05', '1000']);
  });
});

describe(discountedMinorUnits.name, () => {
  const cents = (price: string, discount: string) => {
    const r = discountedMinorUnits(price, discount, 2);
    return r.ok ? r.value : r.reason;
  };
  it('applies the discount to the unit price and rounds half up, on the decimal text', () => {
    expect(cents('14', '0.05')).toBe(1330);
    expect(cents('9.80000019', '0')).toBe(980);
    expect(cents('15.5', '0.150000006')).toBe(1317); // 13.174999907: float noise does not round up
    expect(cents('15.5', '0.15')).toBe(1318); // 13.175 exactly: half up
  });
  it('rejects a discount of 100% or more', () => {
    expect(cents('10', '1')).toMatch(/discount is 1 or more/);
  });
});


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

describe('formatMinor, signed and grouped', () => {
  it('writes the amount alone, exact, grouped only when asked', () => {
    expect(formatMinor(9_007_199_254_740_991, minorDigits('EUR'))).toBe('90071992547409.91');
    expect(formatMinor(-5, minorDigits('USD'))).toBe('-0.05');
    expect(formatMinor(1500, minorDigits('JPY'), true)).toBe('1,500');
    expect(formatMinor(1234, minorDigits('XYZ'))).toBe('12.34');
  });
});
