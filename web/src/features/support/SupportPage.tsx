import { Link } from 'react-router-dom';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { TicketTable } from './TicketTable';
import type { Ticket, Topic } from './types';

/** A customer's "My tickets": its organization's tickets, newest activity first. */
export function SupportPage() {
  const tickets = useLoad<Items<Ticket>>('/api/v1/support/tickets?limit=200');
  const topics = useLoad<Items<Topic>>('/api/v1/support/topics');
  return (
    <>
      <PageHeader
        title="Support"
        actions={
          <Link className="btn btn-primary" to="/support/new">
            New request
          </Link>
        }
      >
        Your organization’s requests to the Tier 1 support team. You can also write to the support address; replies
        arrive by email and here.
      </PageHeader>
      {tickets.error && <Alert kind="error">{tickets.error.message}</Alert>}
      {!tickets.data && !tickets.error && <Loading />}
      {tickets.data && (
        <TicketTable
          tickets={tickets.data.items}
          topics={topics.data?.items}
          staff={false}
          caption="My tickets"
          empty="No requests yet. Use “New request” to ask for help."
        />
      )}
    </>
  );
}
