import { describe, expect, it } from 'vitest';
import { addDecimals, chartValue, compareDecimals, formatMoney, isDecimal } from './money';

describe('formatMoney', () => {
  it('groups thousands and pads cents without rounding', () => {
    expect(formatMoney('1234.5', 'USD')).toBe('$1,234.50');
    expect(formatMoney('1234567.89', 'USD')).toBe('$1,234,567.89');
    expect(formatMoney('0.125', 'USD')).toBe('$0.125');
    expect(formatMoney('12', 'GBP')).toBe('£12.00');
  });
  it('keeps digits a float would lose', () => {
    expect(formatMoney('90071992547409931.07', 'USD')).toBe('$90,071,992,547,409,931.07');
    expect(formatMoney('0.1000000000000000055511', 'USD')).toBe('$0.1000000000000000055511');
  });
  it('puts the sign before the symbol and drops it on zero', () => {
    expect(formatMoney('-0.07', 'EUR')).toBe('-€0.07');
    expect(formatMoney('-0.00', 'USD')).toBe('$0.00');
  });
  it('uses the code for currencies without a symbol', () => {
    expect(formatMoney('5', 'CHF')).toBe('5.00 CHF');
  });
  it('returns what is not a decimal unchanged', () => {
    expect(formatMoney('n/a', 'USD')).toBe('n/a');
    expect(isDecimal('1e3')).toBe(false);
  });
});

describe('exact sums', () => {
  it('adds decimal strings exactly', () => {
    expect(addDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(addDecimals(['10.05', '-0.06', '3'])).toBe('12.99');
    expect(addDecimals(['-1.5', '0.5'])).toBe('-1.0');
  });
  it('compares', () => {
    expect(compareDecimals('1.10', '1.1')).toBe(0);
    expect(compareDecimals('1.09', '1.1')).toBe(-1);
    expect(compareDecimals('2', '1.999')).toBe(1);
  });
  it('gives chart values as numbers', () => {
    expect(chartValue('12.34')).toBe(12.34);
    expect(chartValue('x')).toBe(0);
  });
});
