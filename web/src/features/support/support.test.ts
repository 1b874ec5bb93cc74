import { describe, expect, it } from 'vitest';
import { emptyFilters, emptyRequestForm, formatSize, pendingApprovals, queuePath, requestBody, requestProblems } from './support';
import type { Ticket } from './types';

describe('queuePath', () => {
  it('sends only the filters that are set', () => {
    expect(queuePath(emptyFilters)).toBe('/api/v1/support/tickets?scope=in&limit=200');
    expect(queuePath({ scope: '', topic: 'billing', status: 'open', breached: true, mine: 'a@b.example' }, 50)).toBe(
      '/api/v1/support/tickets?topic=billing&status=open&breached=true&assignee=a%40b.example&limit=50',
    );
  });
});

describe('new request form', () => {
  it('asks for a subject and text for a question', () => {
    const f = emptyRequestForm('2026-11');
    expect(requestProblems(f)).toEqual(['Give the request a subject.', 'Describe what you need.']);
    expect(requestProblems({ ...f, subject: 'VM down', text: 'It stopped' })).toEqual([]);
    expect(requestBody({ ...f, subject: ' VM down ', text: 'It stopped' })).toEqual({ subject: 'VM down', text: 'It stopped' });
  });

  it('checks every portal user and builds the structured request', () => {
    const f = { ...emptyRequestForm('2026-11'), kind: 'portal-users' as const, billingAlias: 'ACME' };
    f.users = [
      { firstName: 'Ann', lastName: 'Lee', email: 'ann@acme.example' },
      { firstName: '', lastName: 'Roe', email: 'not-an-email' },
    ];
    expect(requestProblems(f)).toEqual(['User 2: give the first and last name.', 'User 2: give a valid email address.']);
    f.users[1] = { firstName: 'Bo', lastName: 'Roe', email: 'ANN@acme.example' };
    expect(requestProblems(f)).toEqual(['Each user needs a different email address.']);
    f.users[1] = { firstName: 'Bo', lastName: 'Roe', email: 'bo@acme.example' };
    expect(requestProblems(f)).toEqual([]);
    const body = requestBody(f);
    expect(body.billingAlias).toBe('ACME');
    expect(body.request).toEqual({
      kind: 'portal-users',
      users: [
        { firstName: 'Ann', lastName: 'Lee', email: 'ann@acme.example' },
        { firstName: 'Bo', lastName: 'Roe', email: 'bo@acme.example' },
      ],
    });
  });

  it('needs name, company and reason to close an account', () => {
    const f = { ...emptyRequestForm('2026-11'), kind: 'close-account' as const };
    expect(requestProblems(f)).toContain('Choose the billing alias (Azure account) this is about.');
    const ok = { ...f, billingAlias: 'ACME', firstName: 'Ann', lastName: 'Lee', company: 'Acme', reason: 'Moving' };
    expect(requestProblems(ok)).toEqual([]);
    expect(requestBody(ok).request).toEqual({ kind: 'close-account', firstName: 'Ann', lastName: 'Lee', company: 'Acme', reason: 'Moving' });
  });

  it('asks for a month for the billing report', () => {
    const f = { ...emptyRequestForm('2026-13'), kind: 'billing-report' as const, billingAlias: 'ACME' };
    expect(requestProblems(f)).toEqual(['Choose the month of the report.']);
    expect(requestBody({ ...f, month: '2026-10' }).request).toEqual({ kind: 'billing-report', month: '2026-10' });
  });
});

describe('permit-service request', () => {
  it('needs a resource type and sends the structured request', () => {
    const f = { ...emptyRequestForm('2026-11'), kind: 'permit-service' as const, billingAlias: 'ACME' };
    expect(requestProblems(f)).toEqual(['Give the Azure resource type, like Microsoft.Sql/servers.']);
    expect(requestProblems({ ...f, resourceType: 'sql' })).toEqual(['Give the Azure resource type, like Microsoft.Sql/servers.']);
    const ok = { ...f, resourceType: ' Microsoft.Sql/servers ' };
    expect(requestProblems(ok)).toEqual([]);
    expect(requestBody(ok)).toEqual({
      subject: 'Permit Microsoft.Sql/servers for ACME',
      text: 'Please permit Microsoft.Sql/servers in the Azure subscriptions of ACME.',
      billingAlias: 'ACME',
      request: { kind: 'permit-service', resourceType: 'Microsoft.Sql/servers' },
    });
  });
});

describe('pendingApprovals', () => {
  it('keeps the tickets whose request waits for an operator', () => {
    const t = (id: string, state?: string) => ({ id, request: state ? { kind: 'close-account', state, details: {} } : null }) as unknown as Ticket;
    expect(pendingApprovals([t('a'), t('b', 'pending-approval'), t('c', 'done')]).map((x) => x.id)).toEqual(['b']);
  });
});

describe('formatSize', () => {
  it('uses B, KB and MB', () => {
    expect(formatSize(900)).toBe('900 B');
    expect(formatSize(12 * 1024)).toBe('12 KB');
    expect(formatSize(1536 * 1024)).toBe('1.5 MB');
  });
});
