import { describe, expect, it } from 'vitest';
import { filterAudit } from './AuditPage';

describe('audit filter', () => {
  const items = [
    { id: '1', action: 'provider.create', actorEmail: 'admin@acme.example', targetType: 'provider', targetId: 'p1' },
    { id: '2', action: 'session.login', actorEmail: 'ops@partner.example', targetType: 'user', targetId: 'u1' },
  ];
  it('matches action, actor and target in any case', () => {
    expect(filterAudit(items, 'PROVIDER').map((e) => e.id)).toEqual(['1']);
    expect(filterAudit(items, 'ops@').map((e) => e.id)).toEqual(['2']);
    expect(filterAudit(items, '  ')).toHaveLength(2);
  });
});
