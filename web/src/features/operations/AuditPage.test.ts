import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../api/types';
import { filterAudit } from './AuditPage';

describe('audit filter', () => {
  const entry = (id: string, action: string, actorEmail: string, targetType: string, targetId: string): AuditEntry => ({
    id, action, actorEmail, targetType, targetId,
    at: '2026-11-30T04:00:00Z', actorUserId: null, organizationId: null, clientAddr: '127.0.0.1', detail: {},
  });
  const items = [
    entry('1', 'provider.create', 'admin@acme.example', 'provider', 'p1'),
    entry('2', 'session.login', 'ops@partner.example', 'user', 'u1'),
  ];
  it('matches action, actor and target in any case', () => {
    expect(filterAudit(items, 'PROVIDER').map((e) => e.id)).toEqual(['1']);
    expect(filterAudit(items, 'ops@').map((e) => e.id)).toEqual(['2']);
    expect(filterAudit(items, '  ')).toHaveLength(2);
  });
});
