import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { BillingAliasEntry, Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { useSession } from '../auth/session';
import { parseList, versionProblems } from './governance';
import { GovernanceTabs } from './parts';
import type { AliasOverride } from './types';

const ALIASES = '/api/v1/governance/aliases';

/** Governance > Exceptions per alias: the billing aliases, each with its override. */
export function AliasesPage() {
  const aliases = useLoad<Items<BillingAliasEntry>>('/api/v1/billing');
  return (
    <>
      <PageHeader title="Exceptions per alias">
        An exception permits extra resource types for one customer’s billing alias, or makes it unrestricted, on top of the
        published catalog.
      </PageHeader>
      <GovernanceTabs />
      {aliases.error && <Alert kind="error">{aliases.error.message}</Alert>}
      {!aliases.data && !aliases.error && <Loading />}
      {aliases.data && (
        <div className="card table-card">
          <table className="table">
            <caption className="sr-only">Billing aliases</caption>
            <thead>
              <tr>
                <th scope="col">Billing alias</th>
                <th scope="col">Organization</th>
                <th scope="col">Providers</th>
              </tr>
            </thead>
            <tbody>
              {aliases.data.items.length === 0 && (
                <tr>
                  <td colSpan={3} className="muted">
                    No billing alias yet.
                  </td>
                </tr>
              )}
              {aliases.data.items.map((a) => (
                <tr key={a.billingAlias}>
                  <td data-label="Billing alias">
                    <Link to={`/ops/governance/aliases/${encodeURIComponent(a.billingAlias)}`}>{a.billingAlias}</Link>
                  </td>
                  <td data-label="Organization">{a.organizationName ?? '—'}</td>
                  <td data-label="Providers">{a.providerCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** What is wrong with an override form (reusing the catalog's resource-type rule). */
export function overrideProblems(extra: string, note: string): string[] {
  // The catalog's rules with `unrestricted` on: an exception may add no type at all.
  return versionProblems({ basedOn: 0, resourceTypes: extra, actions: '', unrestricted: true, note });
}

/** One alias's exception: extra resource types, unrestricted, note; the effective result. */
export function AliasPage() {
  const { alias = '' } = useParams();
  const { me } = useSession();
  const operator = me?.role === 'operator';
  const o = useLoad<AliasOverride>(`${ALIASES}/${encodeURIComponent(alias)}`);
  const [extra, setExtra] = useState('');
  const [unrestricted, setUnrestricted] = useState(false);
  const [note, setNote] = useState('');
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [tried, setTried] = useState(false);

  useEffect(() => {
    if (!o.data) return;
    setExtra(o.data.extraResourceTypes.join('\n'));
    setUnrestricted(o.data.unrestricted);
    setNote(o.data.note ?? '');
  }, [o.data]);

  const problems = overrideProblems(extra, note);
  async function save(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (problems.length) return;
    setSaving(true);
    setMessage(null);
    try {
      await api.put<AliasOverride>(`${ALIASES}/${encodeURIComponent(alias)}`, {
        unrestricted,
        extraResourceTypes: parseList(extra),
        note: note.trim(),
      });
      setMessage({ kind: 'success', text: `Saved. ${alias}’s subscriptions converge to the new exception now.` });
      setTried(false);
      o.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof ApiError ? err.message : 'The exception could not be saved. Try again.' });
    } finally {
      setSaving(false);
    }
  }

  const d = o.data;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/ops/governance/aliases">Exceptions per alias</Link> <span aria-hidden="true">/</span> {alias}
      </nav>
      <PageHeader title={`Exception for ${alias}`}>
        <Link to={`/ops/governance/compliance?alias=${encodeURIComponent(alias)}`}>Compliance of {alias}’s subscriptions</Link>
      </PageHeader>
      {o.error && <Alert kind="error">{o.error.message}</Alert>}
      {!d && !o.error && <Loading />}
      {d && (
        <div className="grid-2 tables">
          <form className="card form" onSubmit={save} noValidate aria-label={`Exception for ${alias}`}>
            {message && <Alert kind={message.kind}>{message.text}</Alert>}
            {tried && problems.length > 0 && (
              <div className="alert alert-error" role="alert">
                <ul>
                  {problems.map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                </ul>
              </div>
            )}
            <section className="form-section">
              <label className="check">
                <input type="checkbox" checked={unrestricted} disabled={!operator} onChange={(e) => setUnrestricted(e.target.checked)} />
                <span>Unrestricted: every resource type permitted for {alias} (its policy is removed)</span>
              </label>
              <label className="field">
                <span>Extra resource types (one per line)</span>
                <textarea rows={6} className="mono" value={extra} readOnly={!operator} onChange={(e) => setExtra(e.target.value)} spellCheck={false} />
              </label>
              <label className="field">
                <span>Note {operator && <span className="req">(required)</span>}</span>
                <input value={note} readOnly={!operator} onChange={(e) => setNote(e.target.value)} maxLength={500} placeholder="Why, and who asked" />
              </label>
              <p className="muted small">
                {d.updatedAt ? `Last changed ${formatTime(d.updatedAt)}${d.updatedBy ? ` by ${d.updatedBy}` : ''}.` : 'No exception yet.'}
              </p>
            </section>
            {operator && (
              <div className="form-actions">
                <button type="submit" className="btn btn-primary" disabled={saving}>
                  {saving ? 'Saving…' : 'Save exception'}
                </button>
              </div>
            )}
          </form>
          <section className="card">
            <h2>In effect for {alias}</h2>
            <p>
              Catalog <Link to={`/ops/governance/catalog/${d.effective.version}`}>version {d.effective.version}</Link>
              {d.effective.unrestricted ? ', unrestricted: every resource type is permitted.' : ` with ${d.effective.resourceTypes.length} resource types:`}
            </p>
            {!d.effective.unrestricted && (
              <ul className="plain-list mono small">
                {d.effective.resourceTypes.map((t) => (
                  <li key={t}>
                    {t}
                    {d.extraResourceTypes.some((x) => x.toLowerCase() === t.toLowerCase()) && (
                      <span className="badge badge-neutral">exception</span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </>
  );
}
