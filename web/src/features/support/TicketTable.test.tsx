import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { TicketTable } from './TicketTable';
import type { Ticket } from './types';

const ticket: Ticket = {
  id: 'T-7',
  number: 7,
  subject: 'VM will not start',
  scope: 'in',
  topic: 'technical',
  status: 'waiting-on-customer',
  requester: { email: 'admin@acme.example', name: 'Ada Admin' },
  organizationId: 'org-1',
  organizationName: 'Acme',
  billingAlias: 'ACME',
  firstResponseAt: null,
  resolvedAt: null,
  escalation: null,
  assignee: 'agent@partner.example',
  classification: { by: 'model', reason: 'words: vm, start', confidence: '0.41', needsReview: true },
  createdAt: '2026-11-30T06:00:00Z',
  updatedAt: '2026-11-30T06:30:00Z',
  sla: { firstResponseDueAt: null, resolutionDueAt: null, breached: true, paused: false },
  request: { kind: 'close-account', state: 'pending-approval', details: {}, decidedBy: null, result: null },
};

describe('TicketTable', () => {
  it('shows agents the requester, scope, review and breach', () => {
    render(
      <MemoryRouter>
        <TicketTable tickets={[ticket]} topics={[{ id: 'technical', title: 'Technical support', scope: 'in', tier: 'tier1' }]} staff caption="Queue" empty="none" />
      </MemoryRouter>,
    );
    expect(screen.getByRole('link', { name: 'VM will not start' }).getAttribute('href')).toBe('/support/tickets/T-7');
    expect(screen.getByText('Ada Admin')).toBeTruthy();
    expect(screen.getByText('In scope')).toBeTruthy();
    expect(screen.getByText('Technical support')).toBeTruthy();
    expect(screen.getByText('Needs review')).toBeTruthy();
    expect(screen.getByText('SLA breached')).toBeTruthy();
    expect(screen.getByText('Waiting on customer')).toBeTruthy();
    expect(screen.getByText('Close the Azure account: Waiting for approval')).toBeTruthy();
  });

  it('shows customers their tickets without the agents’ columns', () => {
    render(
      <MemoryRouter>
        <TicketTable tickets={[ticket]} staff={false} caption="Mine" empty="none" />
      </MemoryRouter>,
    );
    expect(screen.queryByText('Ada Admin')).toBeNull();
    expect(screen.queryByText('Needs review')).toBeNull();
    expect(screen.queryByText('SLA breached')).toBeNull();
    expect(screen.getByText('Technical')).toBeTruthy();
  });

  it('says so when there is nothing', () => {
    render(
      <MemoryRouter>
        <TicketTable tickets={[]} staff={false} caption="Mine" empty="No requests yet." />
      </MemoryRouter>,
    );
    expect(screen.getByText('No requests yet.')).toBeTruthy();
  });
});
