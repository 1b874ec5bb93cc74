import { Link } from 'react-router-dom';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { kindLabel, pendingApprovals } from './support';
import type { Ticket } from './types';

/** Structured requests waiting for an operator's decision. */
export function ApprovalsPage() {
  const tickets = useLoad<Items<Ticket>>('/api/v1/support/tickets?limit=500');
  const pending = tickets.data ? pendingApprovals(tickets.data.items) : [];
  return (
    <>
      <PageHeader title="Approvals">
        Requests the platform carries out once an operator approves: portal.azure.com users, closing an Azure account,
        detailed billing reports, one more permitted Azure service.
      </PageHeader>
      {tickets.error && <Alert kind="error">{tickets.error.message}</Alert>}
      {!tickets.data && !tickets.error && <Loading />}
      {tickets.data && (
        <div className="card table-card">
          <table className="table">
            <caption className="sr-only">Requests waiting for approval</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Billing alias</th>
                <th scope="col">Requester</th>
                <th scope="col">Asked</th>
              </tr>
            </thead>
            <tbody>
              {pending.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    Nothing waits for approval.
                  </td>
                </tr>
              )}
              {pending.map((t) => (
                <tr key={t.id}>
                  <td data-label="Request">
                    <Link to={`/support/tickets/${encodeURIComponent(t.id)}`}>
                      {kindLabel(t.request!.kind)} (#{t.number})
                    </Link>
                  </td>
                  <td data-label="Billing alias">{t.billingAlias ?? '—'}</td>
                  <td data-label="Requester">
                    {t.requester.name || t.requester.email}
                    {t.organizationName && <div className="small muted">{t.organizationName}</div>}
                  </td>
                  <td data-label="Asked">{formatTime(t.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
