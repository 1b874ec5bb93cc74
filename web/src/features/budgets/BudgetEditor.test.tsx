import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { BudgetEditor } from './BudgetEditor';
import { emptyBudgetForm } from './budgets';

describe('BudgetEditor', () => {
  it('shows the alias currency, edits thresholds and saves exact strings', () => {
    const onSave = vi.fn().mockResolvedValue(undefined);
    render(
      <BudgetEditor
        alias="ACME"
        currency="EUR"
        initial={emptyBudgetForm('ACME')}
        subscriptions={['sub-1']}
        saveLabel="Create budget"
        onSave={onSave}
        onCancel={() => {}}
      />,
    );
    expect(screen.getByLabelText('Monthly amount (EUR)')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Create budget' }));
    expect(screen.getByRole('alert').textContent).toContain('Give the monthly amount');
    fireEvent.change(screen.getByLabelText('Monthly amount (EUR)'), { target: { value: '1234.50' } });
    fireEvent.change(screen.getByLabelText(/^Recipients/), { target: { value: 'fin@acme.example\nceo@acme.example' } });
    fireEvent.click(screen.getByRole('button', { name: 'Remove threshold 2' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add a threshold' }));
    fireEvent.change(screen.getByLabelText('Threshold 2 percent'), { target: { value: '110' } });
    fireEvent.change(screen.getByLabelText('Threshold 2 on'), { target: { value: 'forecast' } });
    fireEvent.click(screen.getByLabelText(/^Pace alert/));
    fireEvent.change(screen.getByLabelText(/^Pace tolerance/), { target: { value: '15' } });
    fireEvent.change(screen.getByLabelText('Scope'), { target: { value: 'sub-1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create budget' }));
    expect(onSave).toHaveBeenCalledWith({
      alias: 'ACME',
      subscriptionId: 'sub-1',
      name: 'ACME monthly budget',
      amount: '1234.50',
      thresholds: [
        { percent: '80', kind: 'actual' },
        { percent: '110', kind: 'forecast' },
      ],
      pace: { enabled: true, tolerancePercent: '15' },
      recipients: ['fin@acme.example', 'ceo@acme.example'],
    });
  });
});
