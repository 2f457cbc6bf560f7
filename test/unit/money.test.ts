import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertAmountInCurrency,
  decimalPlaces,
  minorUnitDigits,
  sumAmounts,
} from '../../functions/core/money';

describe('money', () => {
  it('knows the minor unit of ISO 4217 currencies', () => {
    expect(minorUnitDigits('EUR')).toBe(2);
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(minorUnitDigits('KWD')).toBe(3);
  });

  it('counts the decimals a number is written with, exponent forms included', () => {
    expect(decimalPlaces(19.99)).toBe(2);
    expect(decimalPlaces(40)).toBe(0);
    expect(decimalPlaces(1e-7)).toBe(7);
    expect(decimalPlaces(1e-131)).toBe(131);
    expect(decimalPlaces(1.5e21)).toBe(0);
    expect(decimalPlaces(0.1 + 0.2)).toBe(17);
    expect(decimalPlaces(-2.5)).toBe(1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), (cents) => decimalPlaces(cents / 100) <= 2),
    );
  });

  it('takes amounts with at most the currency’s decimals (400 otherwise)', () => {
    expect(() => assertAmountInCurrency(19.99, 'EUR')).not.toThrow();
    expect(() => assertAmountInCurrency(1500, 'JPY')).not.toThrow();
    for (const [amount, currency] of [
      [10.005, 'EUR'],
      [1e-131, 'EUR'],
      [0.30000000000000004, 'EUR'],
      [0.5, 'JPY'],
    ] as const) {
      expect(() => assertAmountInCurrency(amount, currency), `${amount} ${currency}`).toThrow(
        expect.objectContaining({
          name: 'ValidationError',
          details: { issues: [expect.objectContaining({ path: 'amount' })] },
        }),
      );
    }
  });
});

describe('sumAmounts', () => {
  it('adds in the minor unit, so totals compare exactly with a limit', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumAmounts('EUR', [0.1, 0.2])).toBe(0.3);
    expect(sumAmounts('EUR', [0.01, 64.04, 35.95])).toBe(100);
    expect(sumAmounts('JPY', [100, 250])).toBe(350);
    expect(sumAmounts('EUR', [])).toBe(0);
  });
});
