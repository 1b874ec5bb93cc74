import { useState } from 'react';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { useSession } from '../auth/session';
import { emptyFilters, queuePath, SCOPES, scopeLabel, STATUSES, statusLabel, type QueueFilters } from './support';
import { TicketTable } from './TicketTable';
import type { Ticket, Topic } from './types';

/** The Tier 1 queue for agents and operators, with its filters. */
export function QueuePage() {
  const { me } = useSession();
  const [f, setF] = useState<QueueFilters>(emptyFilters);
  const tickets = useLoad<Items<Ticket>>(queuePath(f));
  const topics = useLoad<Items<Topic>>('/api/v1/support/topics');
  const set = <K extends keyof QueueFilters>(k: K, v: QueueFilters[K]) => setF((x) => ({ ...x, [k]: v }));
  return (
    <>
      <PageHeader title="Support queue">Requests from customers, classified against the support scope.</PageHeader>
      <div className="filters card" role="group" aria-label="Filters">
        <label className="field field-inline">
          <span>Scope</span>
          <select value={f.scope} onChange={(e) => set('scope', e.target.value)}>
            <option value="">All</option>
            {SCOPES.map((s) => (
              <option key={s} value={s}>
                {scopeLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Topic</span>
          <select value={f.topic} onChange={(e) => set('topic', e.target.value)}>
            <option value="">All</option>
            {topics.data?.items.map((t) => (
              <option key={t.id} value={t.id}>
                {t.title}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Status</span>
          <select value={f.status} onChange={(e) => set('status', e.target.value)}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={f.breached} onChange={(e) => set('breached', e.target.checked)} />
          <span>SLA breached only</span>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={f.mine !== ''}
            onChange={(e) => set('mine', e.target.checked ? (me?.user?.email ?? '') : '')}
          />
          <span>Assigned to me</span>
        </label>
      </div>
      {tickets.error && <Alert kind="error">{tickets.error.message}</Alert>}
      {!tickets.data && !tickets.error && <Loading />}
      {tickets.data && (
        <TicketTable
          tickets={tickets.data.items}
          topics={topics.data?.items}
          staff
          caption="Support queue"
          empty="No tickets match these filters."
        />
      )}
    </>
  );
}
