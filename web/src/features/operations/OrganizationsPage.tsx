import type { Items, Organization, User } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';

const ROLE_NAMES: Record<string, string> = {
  org_admin: 'Organization admin',
  org_member: 'Member',
  operator: 'Operator',
  support_agent: 'Support agent',
};

export function OrganizationsPage() {
  const orgs = useLoad<Items<Organization>>('/api/v1/organizations');
  const users = useLoad<Items<User>>('/api/v1/users');
  const error = orgs.error ?? users.error;
  return (
    <>
      <PageHeader title="Organizations and users">Customers of the platform and the partner’s own staff.</PageHeader>
      {error && <Alert kind="error">{error.message}</Alert>}
      {(!orgs.data || !users.data) && !error && <Loading />}
      {orgs.data &&
        users.data &&
        orgs.data.items.map((o) => {
          const members = users.data!.items.filter((u) => u.organizationId === o.id);
          return (
            <section key={o.id} className="card table-card">
              <table className="table">
                <caption>
                  {o.name} <span className="badge badge-neutral">{o.kind === 'partner' ? 'Partner' : 'Customer'}</span>{' '}
                  <span className="muted small">since {formatTime(o.createdAt)}</span>
                </caption>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {members.length === 0 && (
                    <tr>
                      <td colSpan={4} className="muted">
                        No users.
                      </td>
                    </tr>
                  )}
                  {members.map((u) => (
                    <tr key={u.id}>
                      <td data-label="User">{u.name}</td>
                      <td data-label="Email">{u.email}</td>
                      <td data-label="Role">{ROLE_NAMES[u.role ?? ''] ?? u.role}</td>
                      <td data-label="Status">{u.disabled ? 'Disabled' : 'Active'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          );
        })}
    </>
  );
}
