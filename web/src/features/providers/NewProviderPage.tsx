import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { ClcConnection, Provider, Terms } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { ConnectClcDialog } from './ConnectClcDialog';
import { emptyForm, missingFields, providerRequest, sentence, type NewProviderForm, type TermsVersions } from './newProvider';

export const CENTURYLINK_TERMS_URL = 'https://www.ctl.io/legal/';
export const MICROSOFT_AGREEMENT_URL = 'https://aka.ms/customeragreement';

export function NewProviderPage() {
  const navigate = useNavigate();
  const [form, setForm] = useState<NewProviderForm>(emptyForm);
  const [connection, setConnection] = useState<ClcConnection | null>(null);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [terms, setTerms] = useState<TermsVersions | null>(null);
  const [msLink, setMsLink] = useState(MICROSOFT_AGREEMENT_URL);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);
  const connectRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    api
      .get<Terms>('/api/v1/terms')
      .then((t) => {
        setTerms({ centurylinkVersion: t.centurylink?.version ?? '', microsoftTemplateId: t.microsoft?.templateId ?? '' });
        if (t.microsoft?.agreementLink) setMsLink(t.microsoft.agreementLink);
      })
      .catch((e: Error) => setError(e.message));
  }, []);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  const set = <K extends keyof NewProviderForm>(key: K, value: NewProviderForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const missing = missingFields(form);
  const isNew = form.mode === 'new-customer';

  async function save(e: FormEvent) {
    e.preventDefault();
    if (missing.length) return;
    setSaving(true);
    setError(null);
    try {
      const p = await api.post<Provider>('/api/v1/providers', providerRequest(form, terms));
      navigate(`/providers/${p.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The provider could not be saved. Try again.');
      setSaving(false);
    }
  }

  const aliases = connection?.billingAliases ?? [];

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/providers">Providers</Link> <span aria-hidden="true">/</span> <Link to="/providers/new">New</Link>{' '}
        <span aria-hidden="true">/</span> Azure Resource Manager
      </nav>
      <PageHeader title="Azure Resource Manager">Manage Microsoft services using Azure Resource Manager</PageHeader>
      <form className="card form" onSubmit={save} noValidate>
        {error && (
          <div className="alert alert-error" role="alert" tabIndex={-1} ref={errorRef}>
            {error}
          </div>
        )}
        <section className="form-section">
          <h2>Provider</h2>
          <label className="field">
            <span>
              Name <span className="req">(required)</span>
            </span>
            <input value={form.name} onChange={(e) => set('name', e.target.value)} required aria-required="true" />
          </label>
          <label className="field">
            <span>Description</span>
            <input value={form.description} onChange={(e) => set('description', e.target.value)} />
          </label>
          <fieldset className="field radios">
            <legend>Type</legend>
            <label className="radio">
              <input
                type="radio"
                name="mode"
                checked={form.mode === 'existing-customer'}
                onChange={() => set('mode', 'existing-customer')}
              />
              <span>Use an existing Azure customer account</span>
            </label>
            <label className="radio">
              <input type="radio" name="mode" checked={isNew} onChange={() => set('mode', 'new-customer')} />
              <span>Create a new Azure customer account</span>
            </label>
          </fieldset>
        </section>

        {!isNew && (
          <section className="form-section">
            <h2>Your Azure account</h2>
            <p className="muted">
              An Azure account you run and pay for yourself. The secret is checked with Microsoft and stored
              sealed. This provider is not billed and not supported by your cloud provider.
            </p>
            <div className="grid-2">
              <label className="field">
                <span>Subscription ID</span>
                <input value={form.subscriptionId} onChange={(e) => set('subscriptionId', e.target.value)} spellCheck={false} />
              </label>
              <label className="field">
                <span>Tenant ID</span>
                <input value={form.tenantId} onChange={(e) => set('tenantId', e.target.value)} spellCheck={false} />
              </label>
              <label className="field">
                <span>Client ID</span>
                <input value={form.clientId} onChange={(e) => set('clientId', e.target.value)} spellCheck={false} />
              </label>
              <label className="field">
                <span>Secret</span>
                <input type="password" autoComplete="off" value={form.clientSecret} onChange={(e) => set('clientSecret', e.target.value)} />
              </label>
            </div>
          </section>
        )}

        {isNew && (
          <>
            <section className="form-section">
              <h2>Billing</h2>
              <p className="muted">
                Azure usage is billed monthly on the CenturyLink Cloud account you choose, as one line:
                “Integrated Azure Services Usage”. Only a CenturyLink Cloud Account Administrator can choose it.
              </p>
              <div className="connect-row">
                <button type="button" className="btn" ref={connectRef} onClick={() => setDialogOpen(true)}>
                  Connect a CenturyLink Cloud Account
                </button>
                {connection && (
                  <span className="connected" role="status">
                    <span className="dot-ok" aria-hidden="true" /> Connected as {connection.userName} ({connection.accountAlias})
                  </span>
                )}
              </div>
              <label className="field">
                <span>Billing Alias</span>
                <select
                  value={form.billingAlias}
                  disabled={!connection}
                  onChange={(e) => set('billingAlias', e.target.value)}
                >
                  {!connection && <option value="">Please connect a CenturyLink Cloud account</option>}
                  {connection && <option value="">Choose the account to bill</option>}
                  {aliases.map((a) => (
                    <option key={a.alias} value={a.alias ?? ''} disabled={!a.billable}>
                      {a.alias} — {a.name}
                      {!a.billable ? ` (not available: ${a.message ?? a.reason ?? 'cannot be billed'})` : ''}
                    </option>
                  ))}
                </select>
              </label>
            </section>

            <section className="form-section">
              <h2>Terms</h2>
              <div className="check">
                <input
                  id="accept-centurylink"
                  type="checkbox"
                  checked={form.acceptCenturyLink}
                  onChange={(e) => set('acceptCenturyLink', e.target.checked)}
                />
                <label htmlFor="accept-centurylink">I accept CenturyLink’s terms and conditions</label>
                <a href={CENTURYLINK_TERMS_URL} target="_blank" rel="noopener noreferrer" className="small">
                  Read CenturyLink’s terms{terms?.centurylinkVersion ? ` (version ${terms.centurylinkVersion})` : ''}
                </a>
              </div>
              <div className="check">
                <input
                  id="accept-microsoft"
                  type="checkbox"
                  checked={form.acceptMicrosoft}
                  onChange={(e) => set('acceptMicrosoft', e.target.checked)}
                />
                <label htmlFor="accept-microsoft">I accept the Microsoft Customer Agreement</label>
                <a href={msLink} target="_blank" rel="noopener noreferrer" className="small">
                  Read the Microsoft Customer Agreement
                </a>
              </div>
              <h3>Contact for Microsoft</h3>
              <p className="muted small">Microsoft records who accepted its agreement for your organization.</p>
              <div className="grid-2">
                <label className="field">
                  <span>First name</span>
                  <input autoComplete="given-name" value={form.firstName} onChange={(e) => set('firstName', e.target.value)} />
                </label>
                <label className="field">
                  <span>Last name</span>
                  <input autoComplete="family-name" value={form.lastName} onChange={(e) => set('lastName', e.target.value)} />
                </label>
                <label className="field">
                  <span>Email</span>
                  <input type="email" autoComplete="email" value={form.email} onChange={(e) => set('email', e.target.value)} />
                </label>
                <label className="field">
                  <span>Phone</span>
                  <input type="tel" autoComplete="tel" value={form.phone} onChange={(e) => set('phone', e.target.value)} />
                </label>
              </div>
            </section>
          </>
        )}

        <div className="form-actions">
          {missing.length > 0 && (
            <p className="muted small" id="save-hint">
              To save, add {sentence(missing)}.
            </p>
          )}
          <Link className="btn" to="/providers">
            Cancel
          </Link>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={saving || missing.length > 0}
            aria-describedby={missing.length ? 'save-hint' : undefined}
          >
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
      <ConnectClcDialog
        open={dialogOpen}
        onClose={() => {
          setDialogOpen(false);
          connectRef.current?.focus();
        }}
        onConnected={(c) => {
          setConnection(c);
          const billable = (c.billingAliases ?? []).filter((a) => a.billable);
          setForm((f) => ({ ...f, connectionId: c.connectionId ?? null, billingAlias: billable.length === 1 ? billable[0]?.alias ?? '' : '' }));
          setDialogOpen(false);
          connectRef.current?.focus();
        }}
      />
    </>
  );
}
