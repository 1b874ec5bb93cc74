import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { BillingAliasEntry, Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { DialogFooter, Field } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatMonth, recentMonths } from '../../lib/time';
import { emptyRequestForm, requestBody, requestProblems, type FormKind, type NewRequestForm } from './support';
import type { Ticket } from './types';

const KINDS: { kind: FormKind; title: string; text: string }[] = [
  { kind: 'question', title: 'A question or a problem', text: 'Anything about your Azure account, billing or the portal.' },
  { kind: 'portal-users', title: 'portal.azure.com users', text: 'Users created in your Azure tenant with the platform’s role.' },
  { kind: 'close-account', title: 'Close the Azure account', text: 'Cancels the Azure subscriptions; the last month is still billed.' },
  { kind: 'billing-report', title: 'Detailed billing report', text: 'Usage per subscription, meter and day, as a CSV file.' },
  { kind: 'permit-service', title: 'Permit one more Azure service', text: 'A resource type your subscriptions may not create yet.' },
];

export function NewRequestPage() {
  const navigate = useNavigate();
  const months = recentMonths(new Date(), 6);
  const [params] = useSearchParams();
  // Prefilled from a link: /support/new?kind=permit-service&alias=ACME&resourceType=...
  const [form, setForm] = useState<NewRequestForm>(() => {
    const f = emptyRequestForm(months[0]!);
    const kind = params.get('kind');
    if (kind && KINDS.some((k) => k.kind === kind)) f.kind = kind as FormKind;
    f.billingAlias = params.get('alias') ?? '';
    f.resourceType = params.get('resourceType') ?? '';
    return f;
  });
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const aliases = useLoad<Items<BillingAliasEntry>>('/api/v1/billing');
  const errorRef = useRef<HTMLDivElement>(null);
  const problems = requestProblems(form);

  useEffect(() => {
    const items = aliases.data?.items ?? [];
    if (items.length === 1 && !form.billingAlias) setForm((f) => ({ ...f, billingAlias: items[0]!.billingAlias ?? '' }));
  }, [aliases.data, form.billingAlias]);
  useEffect(() => {
    if (error || (tried && problems.length)) errorRef.current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [error, tried]);

  const set = <K extends keyof NewRequestForm>(k: K, v: NewRequestForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const setUser = (i: number, k: 'firstName' | 'lastName' | 'email', v: string) =>
    setForm((f) => ({ ...f, users: f.users.map((u, j) => (j === i ? { ...u, [k]: v } : u)) }));

  async function send(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (problems.length) return;
    setSaving(true);
    setError(null);
    try {
      const t = await api.post<Ticket>('/api/v1/support/tickets', requestBody(form));
      navigate(`/support/tickets/${encodeURIComponent(t.id)}`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The request could not be sent. Try again.');
      setSaving(false);
    }
  }

  const structured = form.kind !== 'question';
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/support">Support</Link> <span aria-hidden="true">/</span> New request
      </nav>
      <PageHeader title="New request">Tell the support team what you need; structured requests are carried out once an operator approves them.</PageHeader>
      <form className="card form" onSubmit={send} noValidate>
        {(error || (tried && problems.length > 0)) && (
          <div className="alert alert-error" role="alert" tabIndex={-1} ref={errorRef}>
            {error ?? (
              <ul>
                {problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <section className="form-section">
        <fieldset className="field radios">
          <legend>What do you need?</legend>
          {KINDS.map((k) => (
            <label className="radio" key={k.kind}>
              <input type="radio" name="kind" checked={form.kind === k.kind} onChange={() => set('kind', k.kind)} />
              <span>
                {k.title} <span className="small muted">— {k.text}</span>
              </span>
            </label>
          ))}
        </fieldset>

        <Field label="Billing alias (Azure account)" required={structured}>
          <select value={form.billingAlias} onChange={(e) => set('billingAlias', e.target.value)}>
            <option value="">{structured ? 'Choose…' : 'Not about one account'}</option>
            {aliases.data?.items.map((a) => (
              <option key={a.billingAlias} value={a.billingAlias ?? ''}>
                {a.billingAlias}
              </option>
            ))}
          </select>
        </Field>

        {form.kind === 'question' && (
          <Field label="Subject" required>
            <input value={form.subject} onChange={(e) => set('subject', e.target.value)} maxLength={200} />
          </Field>
        )}
        </section>

        {form.kind === 'portal-users' && (
          <section className="form-section">
            <h2>Users</h2>
            <p className="muted">
              Each user gets a sign-in to portal.azure.com in your Azure tenant with the platform’s role on your
              subscription. Their temporary passwords are shown to you once, on this request, after approval.
            </p>
            {form.users.map((u, i) => (
              <fieldset className="grid-3 user-row" key={i}>
                <legend className="sr-only">User {i + 1}</legend>
                <Field label={<>User {i + 1} first name</>}>
                  <input value={u.firstName} onChange={(e) => setUser(i, 'firstName', e.target.value)} />
                </Field>
                <Field label={<>User {i + 1} last name</>}>
                  <input value={u.lastName} onChange={(e) => setUser(i, 'lastName', e.target.value)} />
                </Field>
                <Field label={<>User {i + 1} email</>}>
                  <input type="email" value={u.email} onChange={(e) => setUser(i, 'email', e.target.value)} />
                </Field>
                {form.users.length > 1 && (
                  <button
                    type="button"
                    className="btn btn-ghost btn-small"
                    onClick={() => set('users', form.users.filter((_, j) => j !== i))}
                  >
                    Remove user {i + 1}
                  </button>
                )}
              </fieldset>
            ))}
            <button
              type="button"
              className="btn btn-small"
              onClick={() => set('users', [...form.users, { firstName: '', lastName: '', email: '' }])}
              disabled={form.users.length >= 20}
            >
              Add a user
            </button>
          </section>
        )}

        {form.kind === 'close-account' && (
          <section className="form-section">
            <h2>Closing the account</h2>
            <p className="muted">
              Once an operator approves, the Azure subscriptions of this account are cancelled with Microsoft and its
              provider is closed. Usage up to then is still billed with this month.
            </p>
            <div className="grid-2">
              <Field label="First name">
                <input value={form.firstName} onChange={(e) => set('firstName', e.target.value)} />
              </Field>
              <Field label="Last name">
                <input value={form.lastName} onChange={(e) => set('lastName', e.target.value)} />
              </Field>
            </div>
            <Field label="Company">
              <input value={form.company} onChange={(e) => set('company', e.target.value)} />
            </Field>
            <Field label="Reason">
              <input value={form.reason} onChange={(e) => set('reason', e.target.value)} />
            </Field>
          </section>
        )}

        {form.kind === 'permit-service' && (
          <section className="form-section">
            <Field
              label="Azure resource type"
              required
              hintId="resource-type-help"
              hint="As Azure names it (Namespace/type). Once an operator approves, your subscriptions may create it."
            >
              <input
                value={form.resourceType}
                onChange={(e) => set('resourceType', e.target.value)}
                placeholder="Microsoft.Sql/servers"
                className="mono"
                spellCheck={false}
              />
            </Field>
          </section>
        )}

        {form.kind === 'billing-report' && (
          <section className="form-section">
          <Field label="Month">
            <select value={form.month} onChange={(e) => set('month', e.target.value)}>
              {months.map((m) => (
                <option key={m} value={m}>
                  {formatMonth(m)}
                </option>
              ))}
            </select>
          </Field>
          </section>
        )}

        <section className="form-section">
        <Field label={structured ? 'Anything else we should know' : 'Description'} required={!structured}>
          <textarea rows={6} value={form.text} onChange={(e) => set('text', e.target.value)} maxLength={4000} />
        </Field>
        </section>
        <DialogFooter layout="form" label="Send request" busyLabel="Sending…" busy={saving} cancelTo="/support" />
      </form>
    </>
  );
}
