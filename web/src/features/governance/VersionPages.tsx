import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Dialog, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { useSession } from '../auth/session';
import { ChangeText, GovernanceTabs, VersionBadge, VersionDiffView } from './parts';
import type { CatalogVersion, CatalogVersionDetail, DryRun, PublishResult } from './types';
import { VersionEditor } from './VersionEditor';

const VERSIONS = '/api/v1/governance/catalog/versions';

function Crumbs({ here }: { here: string }) {
  return (
    <nav className="crumbs" aria-label="Breadcrumb">
      <Link to="/ops/governance/catalog">Catalog</Link> <span aria-hidden="true">/</span> {here}
    </nav>
  );
}

/** A new version, based on the published one (or ?basedOn=n). */
export function NewVersionPage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const list = useLoad<Items<CatalogVersion>>(params.get('basedOn') ? null : VERSIONS);
  const published = list.data?.items.find((v) => v.state === 'published');
  const basedOn = params.get('basedOn') ?? (published ? String(published.version) : null);
  const base = useLoad<CatalogVersionDetail>(basedOn ? `${VERSIONS}/${encodeURIComponent(basedOn)}` : null);
  const error = list.error ?? base.error;
  return (
    <>
      <Crumbs here="New version" />
      <PageHeader title="New catalog version">
        Change what customers may use: add or remove resource types with their role actions, or switch everyone to
        unrestricted.
      </PageHeader>
      {error && <Alert kind="error">{error.message}</Alert>}
      {list.data && !published && <Alert kind="warning">No version is published yet.</Alert>}
      {!base.data && !error && (list.data === null || published) && <Loading />}
      {base.data && (
        <VersionEditor
          base={base.data}
          onCancel={() => navigate('/ops/governance/catalog')}
          onSave={async (body) => {
            const v = await api.post<CatalogVersion>(VERSIONS, body);
            navigate(`/ops/governance/catalog/${v.version}`, { state: { created: true } });
          }}
        />
      )}
    </>
  );
}

/** One version: its content, the diff against its base, the dry run and the publish. */
export function VersionPage() {
  const { n = '' } = useParams();
  const { me } = useSession();
  const operator = me?.role === 'operator';
  const v = useLoad<CatalogVersionDetail>(`${VERSIONS}/${encodeURIComponent(n)}`);
  const [dryRun, setDryRun] = useState<DryRun | null>(null);
  const [busy, setBusy] = useState<'dry' | 'publish' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [published, setPublished] = useState<PublishResult | null>(null);
  const [confirm, setConfirm] = useState(false);

  async function preview() {
    setBusy('dry');
    setError(null);
    try {
      setDryRun(await api.post<DryRun>(`${VERSIONS}/${encodeURIComponent(n)}/publish?dryRun=true`));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The preview failed. Try again.');
    } finally {
      setBusy(null);
    }
  }
  async function publish() {
    setBusy('publish');
    setError(null);
    try {
      setPublished(await api.post<PublishResult>(`${VERSIONS}/${encodeURIComponent(n)}/publish`));
      setConfirm(false);
      v.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The publish failed. Try again.');
      setConfirm(false);
    } finally {
      setBusy(null);
    }
  }

  const d = v.data;
  const changing = dryRun?.subscriptions.filter((s) => s.changes.length > 0) ?? [];
  return (
    <>
      <Crumbs here={`Version ${n}`} />
      <PageHeader
        title={`Catalog version ${n}`}
        actions={
          d &&
          operator && (
            <>
              {d.state === 'draft' && (
                <button type="button" className="btn" onClick={() => void preview()} disabled={busy !== null}>
                  {busy === 'dry' ? 'Previewing…' : 'Preview changes (dry run)'}
                </button>
              )}
              {d.state === 'draft' && (
                <button type="button" className="btn btn-primary" onClick={() => setConfirm(true)} disabled={busy !== null || !dryRun}>
                  Publish…
                </button>
              )}
              <Link className="btn" to={`/ops/governance/catalog/new?basedOn=${d.version}`}>
                New version based on this
              </Link>
            </>
          )
        }
      >
        {d && (
          <>
            <VersionBadge state={d.state} /> {d.note}
          </>
        )}
      </PageHeader>
      <GovernanceTabs />
      {v.error && <Alert kind="error">{v.error.message}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {published && (
        <Alert kind="success">
          Published version {published.version}: {published.subscriptions} subscription{published.subscriptions === 1 ? '' : 's'}{' '}
          converge now. Follow them on the <Link to="/ops/governance/compliance">compliance page</Link>.
        </Alert>
      )}
      {d && d.state === 'draft' && operator && !dryRun && !published && (
        <Alert kind="info">Preview the changes first: the dry run lists every subscription this version changes.</Alert>
      )}
      {!d && !v.error && <Loading />}
      {d && (
        <>
          <section className="card">
            <h2>Details</h2>
            <dl className="kv">
              <dt>State</dt>
              <dd>
                <VersionBadge state={d.state} />
              </dd>
              <dt>Author</dt>
              <dd>{d.author}</dd>
              <dt>Created</dt>
              <dd>{formatTime(d.createdAt)}</dd>
              <dt>Published</dt>
              <dd>
                {formatTime(d.publishedAt)}
                {d.publishedBy && ` by ${d.publishedBy}`}
              </dd>
              <dt>Based on</dt>
              <dd>{d.basedOn !== null ? <Link to={`/ops/governance/catalog/${d.basedOn}`}>Version {d.basedOn}</Link> : '—'}</dd>
              <dt>Unrestricted</dt>
              <dd>{d.unrestricted ? 'Yes: every resource type is permitted' : 'No'}</dd>
            </dl>
          </section>
          {d.diff && d.basedOn !== null && (
            <section className="card">
              <h2>Changes against version {d.basedOn}</h2>
              <VersionDiffView diff={d.diff} />
            </section>
          )}
          {dryRun && (
            <section className="card table-card" aria-labelledby="dry-run-title">
              <h2 id="dry-run-title" className="table-title">
                Dry run: {changing.length} of {dryRun.subscriptions.length} subscription{dryRun.subscriptions.length === 1 ? '' : 's'} change
              </h2>
              <table className="table">
                <caption className="sr-only">Subscriptions the publish changes</caption>
                <thead>
                  <tr>
                    <th scope="col">Subscription</th>
                    <th scope="col">Alias</th>
                    <th scope="col">Organization</th>
                    <th scope="col">Changes</th>
                  </tr>
                </thead>
                <tbody>
                  {dryRun.subscriptions.length === 0 && (
                    <tr>
                      <td colSpan={4} className="muted">
                        No customer subscription yet: publishing changes nothing in Azure.
                      </td>
                    </tr>
                  )}
                  {dryRun.subscriptions.map((s) => (
                    <tr key={s.subscriptionId}>
                      <td data-label="Subscription" className="mono wrap">
                        {s.subscriptionId}
                      </td>
                      <td data-label="Alias">{s.alias}</td>
                      <td data-label="Organization">{s.organizationName}</td>
                      <td data-label="Changes">
                        {s.changes.length === 0 && <span className="muted">No change</span>}
                        {s.changes.map((c, i) => (
                          <ChangeText key={i} change={c} />
                        ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          <div className="grid-2 tables">
            <ListCard title="Resource types" items={d.resourceTypes} />
            <ListCard title="Role actions" items={d.actions} />
          </div>
        </>
      )}
      <Dialog open={confirm} title={`Publish version ${n}?`} onClose={() => setConfirm(false)}>
        <div className="dialog-body">
          <p>
            Every customer subscription converges to version {n}: {changing.length} subscription
            {changing.length === 1 ? '' : 's'} change in Azure. Existing resources that are no longer permitted are reported,
            never deleted.
          </p>
          <div className="dialog-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setConfirm(false)}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" onClick={() => void publish()} disabled={busy !== null}>
              {busy === 'publish' ? 'Publishing…' : 'Publish'}
            </button>
          </div>
        </div>
      </Dialog>
    </>
  );
}

function ListCard({ title, items }: { title: string; items: string[] }) {
  return (
    <section className="card">
      <h2>
        {title} <span className="muted small">({items.length})</span>
      </h2>
      {items.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="plain-list mono small">
          {items.map((x) => (
            <li key={x}>{x}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
