import { describe, expect, it } from 'vitest';
import { formatMonth, recentMonths } from './time';

describe('months', () => {
  it('lists recent months across a year end', () => {
    expect(recentMonths(new Date(Date.UTC(2026, 1, 15)), 3)).toEqual(['2026-02', '2026-01', '2025-12']);
  });
  it('names a month', () => {
    expect(formatMonth('2026-11')).toBe('November 2026');
  });
});
