/**
 * Money from integer minor units, without floats: the currency's fraction digits come from Intl
 * (EUR 2, JPY 0, BHD 3), the split is integer arithmetic. 123456 EUR -> "EUR 1,234.56".
 */
export function formatMoney(minor: number, currency: string): string {
  const digits = fractionDigits(currency);
  const abs = BigInt(Math.abs(minor));
  const scale = 10n ** BigInt(digits);
  const major = new Intl.NumberFormat('en-US').format(abs / scale);
  const fraction = digits > 0 ? `.${(abs % scale).toString().padStart(digits, '0')}` : '';
  return `${minor < 0 ? '-' : ''}${currency} ${major}${fraction}`;
}

function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2; // an unknown code still renders, as if it had cents
  }
}
