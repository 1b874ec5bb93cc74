import { describe, expect, it } from 'vitest';
import { budgetBody, budgetChanges, budgetProblems, buildCumulative, emptyBudgetForm, formFromBudget, normalize, usageLevel } from './budgets';
import type { Budget } from './types';

const budget: Budget = {
  id: 'b-1',
  organizationId: 'org-1',
  alias: 'ACME',
  subscriptionId: null,
  name: 'ACME monthly',
  amount: '500.00',
  currency: 'USD',
  thresholds: [
    { percent: '80', kind: 'actual' },
    { percent: '100', kind: 'forecast' },
  ],
  pace: { enabled: true, tolerancePercent: '10' },
  recipients: ['finance@acme.example'],
  createdAt: '2026-11-01T00:00:00Z',
  updatedAt: '2026-11-01T00:00:00Z',
  status: { month: '2026-11', actual: '412.07', forecast: '530.10', percentActual: '82.41', percentForecast: '106.02', asOf: '2026-11-30T08:00:00Z' },
  alerts: [],
};

describe('budget form', () => {
  it('starts with the usual thresholds and asks for an amount and a recipient', () => {
    const f = emptyBudgetForm('ACME');
    expect(f.thresholds).toEqual([
      { percent: '80', kind: 'actual' },
      { percent: '100', kind: 'forecast' },
    ]);
    expect(budgetProblems(f)).toEqual([
      'Give the monthly amount as a number above zero, like 500 or 1250.50.',
      'Add at least one recipient for the alerts.',
    ]);
  });

  it('refuses amounts that are not exact money', () => {
    const f = { ...emptyBudgetForm('ACME'), recipients: 'a@acme.example' };
    for (const bad of ['0', '-5', '1e3', '12.345', 'five']) expect(budgetProblems({ ...f, amount: bad }).length).toBe(1);
    expect(budgetProblems({ ...f, amount: '1250.50' })).toEqual([]);
  });

  it('checks thresholds, duplicates, pace and recipients', () => {
    const f = { ...emptyBudgetForm('ACME'), amount: '500', recipients: 'a@acme.example, nope' };
    f.thresholds = [
      { percent: '80', kind: 'actual' },
      { percent: '80.0', kind: 'actual' },
      { percent: '0', kind: 'forecast' },
    ];
    f.paceEnabled = true;
    f.paceTolerance = '';
    expect(budgetProblems(f)).toEqual([
      'Threshold 3: give a percentage above 0 and at most 1000, with at most two decimals.',
      'Two thresholds are the same: remove one.',
      'Give the pace tolerance as a percentage from 0 to 1000.',
      'Not an email address: nope.',
    ]);
    expect(budgetProblems({ ...f, thresholds: [], paceEnabled: false, recipients: 'a@acme.example' })).toEqual([
      'Add at least one threshold or the pace alert, or nobody is ever told.',
    ]);
  });

  it('spells a percentage one way for comparing', () => {
    expect(normalize('100')).toBe('100');
    expect(normalize('080.50')).toBe('80.5');
    expect(normalize('80.0')).toBe('80');
  });

  it('round-trips a budget and sends strings, never numbers', () => {
    const f = formFromBudget(budget);
    expect(budgetProblems(f)).toEqual([]);
    const body = budgetBody({ ...f, amount: ' 750.25 ' }, 'ACME');
    expect(body).toEqual({
      alias: 'ACME',
      subscriptionId: null,
      name: 'ACME monthly',
      amount: '750.25',
      thresholds: budget.thresholds,
      pace: { enabled: true, tolerancePercent: '10' },
      recipients: ['finance@acme.example'],
    });
    expect(budgetBody({ ...f, subscriptionId: 'sub-9' }, 'ACME').subscriptionId).toBe('sub-9');
    // A change never moves the budget to another alias or scope.
    expect(budgetChanges(budgetBody({ ...f, subscriptionId: 'sub-9' }, 'ACME'))).toEqual({
      name: 'ACME monthly',
      amount: '500.00',
      thresholds: budget.thresholds,
      pace: { enabled: true, tolerancePercent: '10' },
      recipients: ['finance@acme.example'],
    });
  });

  it('says over, near or under from the API’s percentage', () => {
    expect(usageLevel('106.02')).toBe('over');
    expect(usageLevel('100')).toBe('over');
    expect(usageLevel('82.41')).toBe('near');
    expect(usageLevel('79.99')).toBe('under');
    expect(usageLevel(null)).toBe('under');
  });
});

describe('cumulative chart', () => {
  it('sums the days exactly and draws the forecast path to the month end', () => {
    const pts = buildCumulative(
      '2026-11',
      30,
      3,
      [
        { day: '2026-11-01', charge: '0.10' },
        { day: '2026-11-02', charge: '0.20' },
        { day: '2026-11-02', charge: '0.01' },
        { day: '2026-11-03', charge: '0.00' },
      ],
      '30.31',
    );
    expect(pts).toHaveLength(30);
    expect(pts.map((p) => p.actualText).slice(0, 4)).toEqual(['0.10', '0.31', '0.31', null]);
    expect(pts[2]?.projected).toBeCloseTo(0.31);
    expect(pts[29]?.projected).toBeCloseTo(30.31);
    expect(pts[0]?.projected).toBeNull();
    expect(pts[29]?.actual).toBeNull();
  });
  it('has no forecast path in a finished month', () => {
    const pts = buildCumulative('2026-02', 28, 28, [{ day: '2026-02-28', charge: '5' }], '5');
    expect(pts.every((p) => p.projected === null)).toBe(true);
    expect(pts[27]?.actualText).toBe('5');
  });
});
