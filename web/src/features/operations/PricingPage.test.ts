import { describe, expect, it } from 'vitest';
import { pricingRuleProblem } from './PricingPage';

describe('pricing rule form', () => {
  it('accepts a decimal percent and a date', () => {
    expect(pricingRuleProblem('12.5', '2026-11-01')).toBeNull();
    expect(pricingRuleProblem('-5', '2026-11-01')).toBeNull();
  });
  it('refuses what is not a plain decimal', () => {
    expect(pricingRuleProblem('1e2', '2026-11-01')).toMatch(/Percent/);
    expect(pricingRuleProblem('', '2026-11-01')).toMatch(/Percent/);
  });
  it('needs a start date', () => {
    expect(pricingRuleProblem('3', '')).toMatch(/Effective from/);
  });
});
