import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import type { Items, Provider } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, EmptyState, Loading, StateBadge } from '../../components/ui';
import { formatTime } from '../../lib/time';
import { useSession } from '../auth/session';

export function ProvidersPage() {
  const { me } = useSession();
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const canCreate = me?.role === 'org_admin';

  useEffect(() => {
    const ac = new AbortController();
    api
      .get<Items<Provider>>('/api/v1/providers', ac.signal)
      .then((r) => setProviders(r.items))
      .catch((e: Error) => e.name !== 'AbortError' && setError(e.message));
    return () => ac.abort();
  }, []);

  return (
    <>
      <PageHeader
        title="Providers"
        actions={
          canCreate && (
            <Link className="btn btn-primary" to="/providers/new">
              New
            </Link>
          )
        }
      >
        Cloud accounts your organization manages here.
      </PageHeader>
      {error && <Alert kind="error">{error}</Alert>}
      {!providers && !error && <Loading />}
      {providers && providers.length === 0 && (
        <EmptyState title="No providers yet">
          <p>Create an Azure customer account, supported and billed by your provider, in a few clicks.</p>
          {canCreate && (
            <Link className="btn btn-primary" to="/providers/new">
              New provider
            </Link>
          )}
        </EmptyState>
      )}
      {providers && providers.length > 0 && (
        <div className="card table-card">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Billing alias</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {providers.map((p) => (
                <tr key={p.id}>
                  <td data-label="Name">
                    <Link to={`/providers/${p.id}`}>{p.name}</Link>
                    <div className="muted small">Azure Resource Manager</div>
                  </td>
                  <td data-label="State">
                    <StateBadge state={p.state ?? 'processing'} />
                  </td>
                  <td data-label="Billing alias">{p.billingAlias || <span className="muted">not billed</span>}</td>
                  <td data-label="Created">{formatTime(p.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
