import { useState } from 'react';
import type { AuditEntry, Items, Organization } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';

/** Entries whose action, actor or target contains the text (any case). */
export function filterAudit(items: AuditEntry[], text: string): AuditEntry[] {
  const t = text.trim().toLowerCase();
  if (!t) return items;
  return items.filter((e) =>
    [e.action, e.actorEmail, e.targetType, e.targetId].some((v) => (v ?? '').toLowerCase().includes(t)),
  );
}

export function AuditPage() {
  const [org, setOrg] = useState('');
  const [text, setText] = useState('');
  const orgs = useLoad<Items<Organization>>('/api/v1/organizations');
  const audit = useLoad<Items<AuditEntry>>(`/api/v1/audit?limit=200${org ? `&organizationId=${encodeURIComponent(org)}` : ''}`);
  const shown = audit.data ? filterAudit(audit.data.items, text) : [];
  return (
    <>
      <PageHeader title="Audit log">Every change, who made it, from where; newest first.</PageHeader>
      <div className="card filters">
        <label className="field">
          <span>Organization</span>
          <select value={org} onChange={(e) => setOrg(e.target.value)}>
            <option value="">All organizations</option>
            {orgs.data?.items.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Action, user or target contains</span>
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
      </div>
      {audit.error && <Alert kind="error">{audit.error.message}</Alert>}
      {!audit.data && !audit.error && <Loading />}
      {audit.data && (
        <div className="card table-card">
          <table className="table">
            <caption className="sr-only">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {shown.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    No entries match.
                  </td>
                </tr>
              )}
              {shown.map((e) => (
                <tr key={e.id}>
                  <td data-label="When">{formatTime(e.at)}</td>
                  <td data-label="Who">{e.actorEmail || 'system'}</td>
                  <td data-label="Action">
                    <code>{e.action}</code>
                  </td>
                  <td data-label="Target" className="wrap">
                    {e.targetType} <span className="muted small mono">{e.targetId}</span>
                  </td>
                  <td data-label="From">{e.clientAddr}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
