import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { ComplianceTable } from './CompliancePages';
import type { ComplianceItem } from './types';

const items: ComplianceItem[] = [
  {
    subscriptionId: 'sub-1',
    alias: 'ACME',
    organizationName: 'Acme',
    desiredVersion: 4,
    appliedVersion: 3,
    state: 'drifted',
    reason: 'The policy assignment was deleted in Azure',
    lastCheckedAt: '2026-11-30T09:00:00Z',
    unrestricted: false,
  },
  {
    subscriptionId: 'sub-2',
    alias: 'BRIT',
    organizationName: 'Brit',
    desiredVersion: 4,
    appliedVersion: null,
    state: 'converging',
    reason: null,
    lastCheckedAt: null,
    unrestricted: true,
  },
];

describe('ComplianceTable', () => {
  it('shows states in words with a glyph, versions and reasons; operators reconcile', () => {
    const onReconcile = vi.fn();
    render(
      <MemoryRouter>
        <ComplianceTable items={items} operator onReconcile={onReconcile} />
      </MemoryRouter>,
    );
    expect(screen.getByText('Drifted').parentElement?.textContent).toBe('! Drifted');
    expect(screen.getByText('The policy assignment was deleted in Azure')).toBeTruthy();
    expect(screen.getByText('3 / 4')).toBeTruthy();
    expect(screen.getByText('— / 4')).toBeTruthy();
    expect(screen.getByText('Unrestricted')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'sub-1' }).getAttribute('href')).toBe('/ops/governance/subscriptions/sub-1');
    fireEvent.click(screen.getByRole('button', { name: 'Reconcile now: sub-2' }));
    expect(onReconcile).toHaveBeenCalledWith('sub-2');
  });

  it('gives customers no action and no staff links', () => {
    render(
      <MemoryRouter>
        <ComplianceTable items={items} operator={false} staffLinks={false} />
      </MemoryRouter>,
    );
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.queryByRole('link')).toBeNull();
    expect(screen.getByText('sub-1')).toBeTruthy();
  });
});
