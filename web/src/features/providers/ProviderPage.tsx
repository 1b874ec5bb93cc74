import { useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { ProviderStep } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Dialog, Loading, StateBadge } from '../../components/ui';
import { formatTime } from '../../lib/time';
import { isOperator, useSession } from '../auth/session';
import { useLiveProvider } from './providerLive';

/** The seed's five steps, shown when the API has not listed them yet. */
export const SEED_STEPS = [
  'Provides Microsoft your account details',
  'Creates an Azure Customer account on your behalf',
  'Creates a Microsoft Azure Subscription for that Customer account',
  'Associates your Azure Customer account with your CenturyLink Cloud account',
  'Grants the platform the appropriate permissions to work on your behalf',
];

function StepIcon({ state }: { state: string }) {
  if (state === 'done') return <span className="step-icon step-done" aria-hidden="true">✓</span>;
  if (state === 'running') return <span className="step-icon step-running spinner" aria-hidden="true" />;
  if (state === 'failed') return <span className="step-icon step-failed" aria-hidden="true">!</span>;
  return <span className="step-icon step-pending" aria-hidden="true" />;
}

export function Steps({ steps }: { steps: ProviderStep[] }) {
  const list = steps.length
    ? steps
    : SEED_STEPS.map((label, i): ProviderStep => ({ key: `step-${i + 1}`, label, state: 'pending', attempts: 0, lastError: null }));
  return (
    <ol className="steps" aria-label="Automated process">
      {list.map((s, i) => (
        <li key={s.key ?? i} className={`step is-${s.state ?? "pending"}`}>
          <StepIcon state={s.state ?? 'pending'} />
          <div className="step-text">
            <span className="step-label">{s.label}</span>
            {s.lastError && s.state !== 'done' && <span className="step-error">{s.lastError}</span>}
            {(s.attempts ?? 0) > 1 && <span className="muted small">{s.attempts} attempts</span>}
          </div>
          <StateBadge state={s.state ?? 'pending'} />
        </li>
      ))}
    </ol>
  );
}

interface AdminLogin {
  userName?: string;
  password?: string;
}

function AdminLoginReveal({ providerId }: { providerId: string }) {
  const [login, setLogin] = useState<AdminLogin | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const passwordRef = useRef<HTMLElement>(null);

  async function reveal() {
    setError(null);
    try {
      setLogin(await api.get<AdminLogin>(`/api/v1/providers/${encodeURIComponent(providerId)}/admin-credentials`));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The login could not be read.');
    }
  }

  async function copy() {
    if (!login) return;
    try {
      await navigator.clipboard.writeText(`${login.userName ?? ''}\n${login.password ?? ''}`);
      setCopied(true);
    } catch {
      // No clipboard permission: select the password so the reader can copy it.
      const r = document.createRange();
      if (passwordRef.current) {
        r.selectNodeContents(passwordRef.current);
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(r);
      }
      setCopied(false);
    }
  }

  return (
    <section className="card">
      <h2>Initial administrator login</h2>
      {!login && (
        <>
          <p>
            Microsoft created an administrator for the new Azure tenant. Its login is shown once, then
            wiped from Partner Cloud.
          </p>
          {error && <Alert kind="error">{error}</Alert>}
          <button type="button" className="btn btn-primary" onClick={() => void reveal()}>
            Show the administrator login
          </button>
        </>
      )}
      {login && (
        <>
          <Alert kind="warning">
            Shown once: copy it now and keep it somewhere safe. Partner Cloud has deleted it and cannot show it again.
          </Alert>
          <dl className="kv">
            <dt>User name</dt>
            <dd>
              <code>{login.userName}</code>
            </dd>
            <dt>Password</dt>
            <dd>
              <code ref={passwordRef}>{login.password}</code>
            </dd>
          </dl>
          <button type="button" className="btn" onClick={() => void copy()}>
            Copy login
          </button>
          <span role="status" className="small muted">
            {copied ? ' Copied to the clipboard.' : ''}
          </span>
        </>
      )}
    </section>
  );
}

export function ProviderPage() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const navigate = useNavigate();
  const { provider, error, reload } = useLiveProvider(id);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [resumeError, setResumeError] = useState<string | null>(null);

  if (error && !provider) {
    return (
      <>
        <PageHeader title="Provider" />
        <Alert kind="error">{error.status === 404 ? 'This provider does not exist or was deleted.' : error.message}</Alert>
        <Link to="/providers">Back to providers</Link>
      </>
    );
  }
  if (!provider) return <Loading />;

  const state = provider.state ?? 'processing';
  const canDelete = me?.role === 'org_admin' || me?.role === 'operator';
  const canResume = me?.role === 'operator' && state === 'unavailable';
  const notBilled = provider.billed === false;

  async function doDelete() {
    setDeleteError(null);
    try {
      await api.del(`/api/v1/providers/${encodeURIComponent(id)}`);
      navigate('/providers');
    } catch (e) {
      setDeleteError(e instanceof ApiError ? e.message : 'The provider could not be deleted.');
    }
  }

  async function resume() {
    setResumeError(null);
    try {
      await api.post(`/api/v1/providers/${encodeURIComponent(id)}/resume`);
      reload();
    } catch (e) {
      setResumeError(e instanceof ApiError ? e.message : 'The job could not be resumed.');
    }
  }

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/providers">Providers</Link> <span aria-hidden="true">/</span> {provider.name}
      </nav>
      <PageHeader
        title={provider.name ?? 'Provider'}
        actions={
          canDelete && (
            <button type="button" className="btn btn-danger-ghost" onClick={() => setConfirmDelete(true)}>
              Delete provider
            </button>
          )
        }
      >
        {provider.description}
      </PageHeader>

      <div className="provider-grid">
        <section className="card status-card" aria-live="polite">
          <div className="status-head">
            <h2>Status</h2>
            <StateBadge state={state} />
          </div>
          {state === 'processing' && (
            <p>Our automated process is setting up your Azure account. This page updates by itself.</p>
          )}
          {state === 'ready' && (
            <p className="status-ready">
              <strong>Ready.</strong> {notBilled ? 'Your own Azure account is connected.' : 'Your Azure customer account and subscription are ready to use.'}
            </p>
          )}
          {state === 'unavailable' && (
            <Alert kind="error">
              <strong>Unavailable.</strong> {provider.stateReason ?? 'The automated process stopped.'}
            </Alert>
          )}
          {resumeError && <Alert kind="error">{resumeError}</Alert>}
          {canResume && (
            <button type="button" className="btn btn-primary" onClick={() => void resume()}>
              Resume
            </button>
          )}
          {provider.mode !== 'existing-customer' && <Steps steps={provider.steps ?? []} />}
        </section>

        <section className="card">
          <h2>Details</h2>
          <dl className="kv">
            <dt>Type</dt>
            <dd>Azure Resource Manager</dd>
            <dt>Account</dt>
            <dd>{provider.mode === 'existing-customer' ? 'Existing Azure customer account (not billed or supported by your provider)' : 'New Azure customer account'}</dd>
            <dt>Billing alias</dt>
            <dd>{provider.billingAlias || '—'}</dd>
            <dt>Tenant</dt>
            <dd>{provider.azure?.tenantDomain ?? '—'}</dd>
            <dt>Subscriptions</dt>
            <dd>
              {(provider.azure?.subscriptionIds ?? []).length
                ? (provider.azure?.subscriptionIds ?? []).map((s) => (
                    <code key={s} className="block">
                      {s}
                    </code>
                  ))
                : '—'}
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(provider.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{formatTime(provider.updatedAt)}</dd>
          </dl>
        </section>
      </div>

      {provider.adminCredentialsAvailable && me?.role === 'org_admin' && !isOperator(me) && (
        <AdminLoginReveal providerId={id} />
      )}

      <Dialog open={confirmDelete} title="Delete this provider?" onClose={() => setConfirmDelete(false)}>
        <div className="dialog-body">
          {deleteError && (
            <div className="alert alert-error" role="alert">
              {deleteError}
            </div>
          )}
          <p>
            Deleting <strong>{provider.name}</strong> removes it from Partner Cloud only. It stops nothing in
            Azure: the Azure customer account, its subscriptions and their resources keep running
            {notBilled ? '.' : ', and their usage is still billed.'}
          </p>
          <p className="muted">To close the Azure account itself, open a support request.</p>
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
            <button type="button" className="btn btn-danger" onClick={() => void doDelete()}>
              Delete
            </button>
          </div>
        </div>
      </Dialog>
    </>
  );
}
