import { ValidationError } from './errors';

/** Decimal places of a currency's minor unit as ISO 4217 gives them (EUR 2, JPY 0, KWD 3). */
export function minorUnitDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/**
 * Decimal places of a number as written in its shortest round-trip form (what JSON carried):
 * 19.99 → 2, 1e-7 → 7, 1.5e21 → 0. Counting digits, unlike a remainder test, is exact: 0.1 + 0.2 has 17.
 */
export function decimalPlaces(n: number): number {
  const [mantissa = '', exponent = '0'] = String(Math.abs(n)).split('e');
  return Math.max(0, (mantissa.split('.')[1] ?? '').length - Number(exponent));
}

/** An amount is money in its currency only with at most the minor unit's decimals (400 otherwise). */
export function assertAmountInCurrency(amount: number, currency: string) {
  const digits = minorUnitDigits(currency);
  if (decimalPlaces(amount) > digits) {
    const message = `${currency} amounts have at most ${digits} decimal place${digits === 1 ? '' : 's'}`;
    throw new ValidationError(message, { issues: [{ path: 'amount', message, code: 'invalid_precision' }] });
  }
}

/**
 * The sum of amounts of one currency, exact to its minor unit: each amount has at most its decimals
 * (`assertAmountInCurrency`), so adding them in minor units and dividing once gives the decimal sum,
 * where adding the numbers themselves drifts (0.1 + 0.2 is 0.30000000000000004 in binary floats),
 * and a total compared with an authority limit must not.
 */
export function sumAmounts(currency: string, amounts: readonly number[]): number {
  const scale = 10 ** minorUnitDigits(currency);
  return amounts.reduce((sum, a) => sum + Math.round(a * scale), 0) / scale;
}
