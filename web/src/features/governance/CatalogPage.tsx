import { Link } from 'react-router-dom';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { useSession } from '../auth/session';
import { GovernanceTabs, VersionBadge } from './parts';
import type { CatalogVersion } from './types';

/** Governance > Catalog: every version of the permitted-services catalog, newest first. */
export function CatalogPage() {
  const { me } = useSession();
  const versions = useLoad<Items<CatalogVersion>>('/api/v1/governance/catalog/versions');
  const items = [...(versions.data?.items ?? [])].sort((a, b) => b.version - a.version);
  const operator = me?.role === 'operator';
  return (
    <>
      <PageHeader
        title="Permitted-services catalog"
        actions={
          operator && (
            <Link className="btn btn-primary" to="/ops/governance/catalog/new">
              New version
            </Link>
          )
        }
      >
        The Azure resource types customers may create and the role actions that go with them. Each publish is a new
        version; every customer subscription converges to it.
      </PageHeader>
      <GovernanceTabs />
      {versions.error && <Alert kind="error">{versions.error.message}</Alert>}
      {!versions.data && !versions.error && <Loading />}
      {versions.data && (
        <div className="card table-card">
          <table className="table">
            <caption>Catalog versions</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col">Note</th>
                <th scope="col">Author</th>
                <th scope="col">Created</th>
                <th scope="col">Published</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No versions yet.
                  </td>
                </tr>
              )}
              {items.map((v) => (
                <tr key={v.version}>
                  <td data-label="Version">
                    <Link to={`/ops/governance/catalog/${v.version}`}>Version {v.version}</Link>
                    {v.basedOn !== null && <div className="small muted">based on {v.basedOn}</div>}
                  </td>
                  <td data-label="State">
                    <VersionBadge state={v.state} />
                    {v.unrestricted && <div className="small badge badge-warning">Unrestricted</div>}
                  </td>
                  <td data-label="Note" className="wrap">
                    {v.note || '—'}
                  </td>
                  <td data-label="Author">{v.author}</td>
                  <td data-label="Created">{formatTime(v.createdAt)}</td>
                  <td data-label="Published">
                    {formatTime(v.publishedAt)}
                    {v.publishedBy && <div className="small muted">by {v.publishedBy}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
