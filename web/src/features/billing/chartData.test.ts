import { describe, expect, it } from 'vitest';
import { addDecimals } from '../../lib/money';
import { buildChart, tableRows } from './chartData';

describe('daily chart', () => {
  it('puts charges on past days and the forecast run rate on days to come', () => {
    const c = buildChart(
      '2026-11',
      30,
      3,
      [
        { day: '2026-11-01', charge: '10.00' },
        { day: '2026-11-03', charge: '20.00' },
      ],
      '30.00',
      '300.00',
    );
    expect(c.points).toHaveLength(30);
    expect(c.points[0]).toEqual({ day: 1, label: 'Nov 1', charge: 10, chargeText: '10.00', forecast: null });
    expect(c.points[1]?.chargeText).toBe('0');
    expect(c.points[1]?.charge).toBe(0);
    expect(c.points[2]?.charge).toBe(20);
    expect(c.points[3]?.charge).toBeNull();
    expect(c.points[3]?.forecast).toBe(10); // (300 - 30) / 27
    expect(c.estimatePerDay).toBe(10);
  });
  it('has no forecast bars in a finished month', () => {
    const c = buildChart('2026-02', 28, 28, [], '0', '0');
    expect(c.points.every((p) => p.forecast === null)).toBe(true);
  });
});

describe('breakdown tables', () => {
  it('keep rows that add up', () => {
    const rows = [
      { key: 'Storage', charge: '1.10' },
      { key: 'Compute', charge: '2.20' },
    ];
    expect(tableRows(rows, '3.30')).toEqual(rows);
  });
  it('add a rounding row when rounded rows miss the total', () => {
    const rows = [
      { key: 'A', charge: '0.33' },
      { key: 'B', charge: '0.33' },
      { key: 'C', charge: '0.33' },
    ];
    const out = tableRows(rows, '1.00');
    expect(out[3]).toEqual({ key: 'Rounding', charge: '0.01' });
    expect(addDecimals(out.map((r) => r.charge))).toBe('1.00');
  });
});
