import { Link } from 'react-router-dom';
import { formatTime } from '../../lib/time';
import { kindLabel, requestStateLabel, scopeLabel, statusLabel, topicFallback } from './support';
import type { Ticket, Topic } from './types';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-ticket-${status}`}>{statusLabel(status)}</span>;
}

export function topicTitle(topics: Topic[] | undefined, id: string): string {
  return topics?.find((t) => t.id === id)?.title ?? topicFallback(id);
}

/** Tickets as a table; `staff` adds the columns agents work with. */
export function TicketTable({
  tickets,
  topics,
  staff,
  caption,
  empty,
}: {
  tickets: Ticket[];
  topics?: Topic[];
  staff: boolean;
  caption: string;
  empty: string;
}) {
  const cols = staff ? 8 : 5;
  return (
    <div className="card table-card">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Subject</th>
            {staff && <th scope="col">Requester</th>}
            {staff && <th scope="col">Scope</th>}
            <th scope="col">Topic</th>
            <th scope="col">Status</th>
            {staff && <th scope="col">Assignee</th>}
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {tickets.length === 0 && (
            <tr>
              <td colSpan={cols} className="muted">
                {empty}
              </td>
            </tr>
          )}
          {tickets.map((t) => (
            <tr key={t.id}>
              <td data-label="#">{t.number}</td>
              <td data-label="Subject" className="wrap">
                <Link to={`/support/tickets/${encodeURIComponent(t.id)}`}>{t.subject || '(no subject)'}</Link>
                {t.request && (
                  <div className="small muted">
                    {kindLabel(t.request.kind)}: {requestStateLabel(t.request.state)}
                  </div>
                )}
              </td>
              {staff && (
                <td data-label="Requester" className="wrap">
                  {t.requester.name || t.requester.email}
                  {t.organizationName && <div className="small muted">{t.organizationName}</div>}
                </td>
              )}
              {staff && <td data-label="Scope">{scopeLabel(t.scope)}</td>}
              <td data-label="Topic">
                {topicTitle(topics, t.topic)}
                {staff && t.classification?.needsReview && <div className="small badge badge-warning">Needs review</div>}
              </td>
              <td data-label="Status">
                <StatusBadge status={t.status} />
                {staff && t.sla?.breached && <div className="small badge badge-breached">SLA breached</div>}
              </td>
              {staff && <td data-label="Assignee">{t.assignee ?? '—'}</td>}
              <td data-label="Updated">{formatTime(t.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
