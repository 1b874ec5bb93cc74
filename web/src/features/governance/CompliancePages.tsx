import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { useSession } from '../auth/session';
import { COMPLIANCE_STATES, complianceLabel, compliancePath, countByState } from './governance';
import { ComplianceBadge, GovernanceTabs } from './parts';
import type { ComplianceDetail, ComplianceItem } from './types';

const SUBS = '/api/v1/governance/subscriptions';

function useReconcile(onDone: () => void) {
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  async function reconcile(id: string) {
    setBusy(id);
    setMessage(null);
    try {
      await api.post(`${SUBS}/${encodeURIComponent(id)}/reconcile`);
      setMessage({ kind: 'success', text: `Reconcile of ${id} queued: Azure is compared with the desired state now.` });
      onDone();
    } catch (e) {
      setMessage({ kind: 'error', text: e instanceof ApiError ? e.message : 'The reconcile could not be queued. Try again.' });
    } finally {
      setBusy(null);
    }
  }
  return { message, busy, reconcile };
}

/** Governance > Compliance: every customer subscription against the catalog. */
export function CompliancePage() {
  const { me } = useSession();
  const operator = me?.role === 'operator';
  const [params, setParams] = useSearchParams();
  const alias = params.get('alias') ?? '';
  const state = params.get('state') ?? '';
  const [aliasText, setAliasText] = useState(alias);
  const subs = useLoad<Items<ComplianceItem>>(compliancePath(alias, state));
  const { message, busy, reconcile } = useReconcile(subs.reload);
  const items = subs.data?.items ?? [];
  const setFilter = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next);
  };
  return (
    <>
      <PageHeader
        title="Compliance"
        actions={
          <button type="button" className="btn" onClick={subs.reload}>
            Refresh
          </button>
        }
      >
        Each customer subscription’s custom role and allowed-resource-types policy against the catalog version it should
        have. Reconcile repairs what was deleted or edited in Azure.
      </PageHeader>
      <GovernanceTabs />
      <form
        className="card filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter('alias', aliasText.trim().toUpperCase());
        }}
      >
        <label className="field">
          <span>Billing alias</span>
          <input value={aliasText} onChange={(e) => setAliasText(e.target.value)} onBlur={() => setFilter('alias', aliasText.trim().toUpperCase())} />
        </label>
        <label className="field">
          <span>State</span>
          <select value={state} onChange={(e) => setFilter('state', e.target.value)}>
            <option value="">Any state</option>
            {COMPLIANCE_STATES.map((s) => (
              <option key={s} value={s}>
                {complianceLabel(s)}
              </option>
            ))}
          </select>
        </label>
      </form>
      {subs.error && <Alert kind="error">{subs.error.message}</Alert>}
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {!subs.data && !subs.error && <Loading />}
      {subs.data && (
        <>
          <ul className="state-counts" aria-label="Subscriptions per state">
            {countByState(items).map((c) => (
              <li key={c.state}>
                <ComplianceBadge state={c.state} /> <strong>{c.count}</strong>
              </li>
            ))}
          </ul>
          <ComplianceTable items={items} operator={operator} busy={busy} onReconcile={(id) => void reconcile(id)} />
        </>
      )}
    </>
  );
}

export function ComplianceTable({
  items,
  operator,
  busy,
  onReconcile,
  staffLinks = true,
}: {
  items: ComplianceItem[];
  operator: boolean;
  busy?: string | null;
  onReconcile?: (id: string) => void;
  staffLinks?: boolean;
}) {
  const cols = operator ? 7 : 6;
  return (
    <div className="card table-card">
      <table className="table">
        <caption className="sr-only">Subscriptions and their compliance</caption>
        <thead>
          <tr>
            <th scope="col">Subscription</th>
            <th scope="col">Alias</th>
            <th scope="col">Version (applied / desired)</th>
            <th scope="col">State</th>
            <th scope="col">Reason</th>
            <th scope="col">Last checked</th>
            {operator && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {items.length === 0 && (
            <tr>
              <td colSpan={cols} className="muted">
                No subscription matches.
              </td>
            </tr>
          )}
          {items.map((s) => (
            <tr key={s.subscriptionId}>
              <td data-label="Subscription" className="wrap">
                {staffLinks ? (
                  <Link className="mono" to={`/ops/governance/subscriptions/${encodeURIComponent(s.subscriptionId)}`}>
                    {s.subscriptionId}
                  </Link>
                ) : (
                  <span className="mono">{s.subscriptionId}</span>
                )}
                <div className="small muted">{s.organizationName}</div>
              </td>
              <td data-label="Alias">
                {s.alias}
                {s.unrestricted && <div className="small badge badge-warning">Unrestricted</div>}
              </td>
              <td data-label="Version (applied / desired)">
                {s.appliedVersion ?? '—'} / {s.desiredVersion}
              </td>
              <td data-label="State">
                <ComplianceBadge state={s.state} />
              </td>
              <td data-label="Reason" className="wrap">
                {s.reason ?? '—'}
              </td>
              <td data-label="Last checked">{formatTime(s.lastCheckedAt)}</td>
              {operator && (
                <td data-label="Action">
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => onReconcile?.(s.subscriptionId)}
                    disabled={busy === s.subscriptionId}
                    aria-label={`Reconcile now: ${s.subscriptionId}`}
                  >
                    {busy === s.subscriptionId ? 'Queuing…' : 'Reconcile now'}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One subscription: its state, the permitted types, what is no longer permitted, repairs. */
export function SubscriptionPage() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const operator = me?.role === 'operator';
  const sub = useLoad<ComplianceDetail>(`${SUBS}/${encodeURIComponent(id)}`);
  const { message, busy, reconcile } = useReconcile(sub.reload);
  const s = sub.data;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/ops/governance/compliance">Compliance</Link> <span aria-hidden="true">/</span> {id}
      </nav>
      <PageHeader
        title="Subscription compliance"
        actions={
          <>
            <button type="button" className="btn" onClick={sub.reload}>
              Refresh
            </button>
            {operator && (
              <button type="button" className="btn btn-primary" onClick={() => void reconcile(id)} disabled={busy !== null}>
                {busy ? 'Queuing…' : 'Reconcile now'}
              </button>
            )}
          </>
        }
      >
        <span className="mono">{id}</span>
      </PageHeader>
      <GovernanceTabs />
      {sub.error && <Alert kind="error">{sub.error.message}</Alert>}
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {!s && !sub.error && <Loading />}
      {s && (
        <>
          <section className="card">
            <dl className="kv">
              <dt>State</dt>
              <dd>
                <ComplianceBadge state={s.state} />
                {s.reason && <div className="small">{s.reason}</div>}
              </dd>
              <dt>Organization</dt>
              <dd>{s.organizationName}</dd>
              <dt>Billing alias</dt>
              <dd>
                <Link to={`/ops/governance/aliases/${encodeURIComponent(s.alias)}`}>{s.alias}</Link>
              </dd>
              <dt>Desired version</dt>
              <dd>
                <Link to={`/ops/governance/catalog/${s.desiredVersion}`}>Version {s.desiredVersion}</Link>
                {s.unrestricted && ' (unrestricted)'}
              </dd>
              <dt>Applied version</dt>
              <dd>{s.appliedVersion ?? 'None yet'}</dd>
              <dt>Last checked</dt>
              <dd>{formatTime(s.lastCheckedAt)}</dd>
            </dl>
          </section>
          <section className="card table-card">
            <table className="table">
              <caption>
                Resources no longer permitted{' '}
                <span className="muted small">(reported, never deleted; the customer keeps them until they remove them)</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">Resource</th>
                  <th scope="col">Type</th>
                </tr>
              </thead>
              <tbody>
                {s.notPermittedResources.length === 0 && (
                  <tr>
                    <td colSpan={2} className="muted">
                      Every existing resource is permitted.
                    </td>
                  </tr>
                )}
                {s.notPermittedResources.map((r) => (
                  <tr key={r.id}>
                    <td data-label="Resource" className="mono wrap">
                      {r.id}
                    </td>
                    <td data-label="Type" className="mono">
                      {r.type}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="card table-card">
            <table className="table">
              <caption>Repairs</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Object</th>
                  <th scope="col">What was done</th>
                </tr>
              </thead>
              <tbody>
                {s.repairs.length === 0 && (
                  <tr>
                    <td colSpan={3} className="muted">
                      Nothing has needed repair.
                    </td>
                  </tr>
                )}
                {s.repairs.map((r, i) => (
                  <tr key={`${r.at}-${i}`}>
                    <td data-label="When">{formatTime(r.at)}</td>
                    <td data-label="Object">{r.object}</td>
                    <td data-label="What was done" className="wrap">
                      {r.what}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="card">
            <h2>
              Permitted resource types <span className="muted small">({s.unrestricted ? 'unrestricted' : s.permittedResourceTypes.length})</span>
            </h2>
            {s.unrestricted ? (
              <p>Every resource type is permitted: no allowed-resource-types policy is assigned.</p>
            ) : (
              <ul className="plain-list mono small columns">
                {s.permittedResourceTypes.map((t) => (
                  <li key={t}>{t}</li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </>
  );
}
