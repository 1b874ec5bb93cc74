import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, NavLink, useParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Dialog, DialogFooter, Field, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { useSession } from '../auth/session';
import { SecretOnce } from './SecretOnce';
import type { CreatedEndpoint, Delivery, Endpoint, EventType } from './types';
import { answerText, deliveryStatusGlyph, deliveryStatusLabel, emptyEndpointForm, endpointBody, endpointProblems, isPlainHttp, type EndpointForm } from './webhooks';

const HOOKS = '/api/v1/webhooks';

function Tabs() {
  return (
    <nav className="subtabs" aria-label="Settings">
      <NavLink to="/settings/webhooks">Webhooks</NavLink>
    </nav>
  );
}

export function EndpointStateBadge({ e }: { e: Pick<Endpoint, 'enabled'> }) {
  return e.enabled ? (
    <span className="badge badge-ready">
      <span aria-hidden="true">✓</span> Enabled
    </span>
  ) : (
    <span className="badge badge-failed">
      <span aria-hidden="true">✕</span> Disabled
    </span>
  );
}

/** Settings > Webhooks: the organization's endpoints; add one, test, enable or disable, delete. */
export function WebhooksPage() {
  const { me } = useSession();
  const manage = me?.role === 'org_admin';
  const endpoints = useLoad<Items<Endpoint>>(HOOKS);
  const types = useLoad<Items<EventType>>(`${HOOKS}/event-types`);
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState<CreatedEndpoint | null>(null);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);

  async function act(what: () => Promise<unknown>, ok: string) {
    setMessage(null);
    try {
      await what();
      setMessage({ kind: 'success', text: ok });
      endpoints.reload();
    } catch (e) {
      setMessage({ kind: 'error', text: e instanceof ApiError ? e.message : 'That did not work. Try again.' });
    }
  }

  return (
    <>
      <PageHeader
        title="Webhooks"
        actions={
          manage &&
          !adding &&
          !created && (
            <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
              Add endpoint
            </button>
          )
        }
      >
        HTTPS endpoints of yours that receive events (provider ready, invoice line posted, budget threshold crossed…),
        signed by the Standard Webhooks convention.
      </PageHeader>
      <Tabs />
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {created && (
        <SecretOnce
          secret={created.secret}
          url={created.url}
          onDone={() => {
            setCreated(null);
            endpoints.reload();
          }}
        />
      )}
      {adding && (
        <NewEndpointForm
          types={types.data?.items ?? []}
          onCancel={() => setAdding(false)}
          onCreated={(c) => {
            setAdding(false);
            setCreated(c);
            endpoints.reload();
          }}
        />
      )}
      {endpoints.error && <Alert kind="error">{endpoints.error.message}</Alert>}
      {!endpoints.data && !endpoints.error && <Loading />}
      {endpoints.data && (
        <div className="card table-card">
          <table className="table">
            <caption>Endpoints</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Added</th>
                {manage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {endpoints.data.items.length === 0 && (
                <tr>
                  <td colSpan={manage ? 5 : 4} className="muted">
                    No endpoint yet.
                  </td>
                </tr>
              )}
              {endpoints.data.items.map((e) => (
                <tr key={e.id}>
                  <td data-label="Endpoint" className="wrap">
                    <Link to={`/settings/webhooks/${encodeURIComponent(e.id)}`} className="mono">
                      {e.url}
                    </Link>
                    {e.description && <div className="small muted">{e.description}</div>}
                  </td>
                  <td data-label="Events" className="wrap small mono">
                    {e.events.join(', ')}
                  </td>
                  <td data-label="State">
                    <EndpointStateBadge e={e} />
                    {e.disabledReason && <div className="small">{e.disabledReason}</div>}
                  </td>
                  <td data-label="Added">{formatTime(e.createdAt)}</td>
                  {manage && (
                    <td data-label="Actions">
                      <div className="row-actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          aria-label={`Send test to ${e.url}`}
                          disabled={!e.enabled}
                          onClick={() => void act(() => api.post(`${HOOKS}/${encodeURIComponent(e.id)}/test`), `Test event queued for ${e.url}: see its delivery log.`)}
                        >
                          Send test
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          aria-label={`${e.enabled ? 'Disable' : 'Enable'} ${e.url}`}
                          onClick={() =>
                            void act(
                              () => api.patch(`${HOOKS}/${encodeURIComponent(e.id)}`, { enabled: !e.enabled }),
                              e.enabled ? `Disabled ${e.url}: no events are sent to it.` : `Enabled ${e.url} again.`,
                            )
                          }
                        >
                          {e.enabled ? 'Disable' : 'Enable'}
                        </button>
                        <button type="button" className="btn btn-small btn-danger-ghost" aria-label={`Delete ${e.url}`} onClick={() => setDeleting(e)}>
                          Delete
                        </button>
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog open={deleting !== null} title="Delete this endpoint?" onClose={() => setDeleting(null)}>
        <div className="dialog-body">
          <p>
            No more events go to <span className="mono">{deleting?.url}</span>; deliveries not yet made are dropped.
          </p>
          <DialogFooter
            label="Delete"
            danger
            onCancel={() => setDeleting(null)}
            onConfirm={() => {
              const d = deleting;
              setDeleting(null);
              if (d) void act(() => api.del(`${HOOKS}/${encodeURIComponent(d.id)}`), `Deleted ${d.url}.`);
            }}
          />
        </div>
      </Dialog>
    </>
  );
}

export function NewEndpointForm({
  types,
  onCancel,
  onCreated,
}: {
  types: EventType[];
  onCancel: () => void;
  onCreated: (c: CreatedEndpoint) => void;
}) {
  const [form, setForm] = useState<EndpointForm>(emptyEndpointForm);
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);
  const problems = endpointProblems(form);
  useEffect(() => {
    if (error || (tried && problems.length)) errorRef.current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [error, tried]);
  const toggle = (t: string, on: boolean) =>
    setForm((f) => ({ ...f, events: on ? [...f.events.filter((x) => x !== t), t] : f.events.filter((x) => x !== t) }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (problems.length) return;
    setSaving(true);
    setError(null);
    try {
      onCreated(await api.post<CreatedEndpoint>(HOOKS, endpointBody(form)));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The endpoint could not be added. Try again.');
      setSaving(false);
    }
  }

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="New endpoint">
      <h2>New endpoint</h2>
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
        <Field label="Endpoint URL">
          <input type="url" className="mono" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} placeholder="https://hooks.example.com/partnercloud" />
        </Field>
        {isPlainHttp(form.url) && (
          <p className="small muted">Plain http is accepted only where the platform is configured for it (a demo on this machine); use https otherwise.</p>
        )}
        <Field label="Description">
          <input value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} maxLength={200} />
        </Field>
        <fieldset className="events">
          <legend>Events to send</legend>
          {types.length === 0 && <p className="muted small">Loading the event types…</p>}
          {types.map((t) => (
            <label className="check" key={t.type}>
              <input type="checkbox" checked={form.events.includes(t.type)} onChange={(e) => toggle(t.type, e.target.checked)} />
              <span>
                <code>{t.type}</code> <span className="small muted">— {t.description}</span>
              </span>
            </label>
          ))}
        </fieldset>
      </section>
      <DialogFooter layout="form" label="Add endpoint" busyLabel="Adding…" busy={saving} onCancel={onCancel} />
    </form>
  );
}

/** One endpoint and its delivery log (refreshed while deliveries are pending or retrying). */
export function WebhookPage() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const manage = me?.role === 'org_admin';
  const endpoint = useLoad<Endpoint>(`${HOOKS}/${encodeURIComponent(id)}`);
  const deliveries = useLoad<Items<Delivery>>(`${HOOKS}/${encodeURIComponent(id)}/deliveries`);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const e = endpoint.data;
  const open = (deliveries.data?.items ?? []).some((d) => d.status === 'pending' || d.status === 'retrying');
  const { reload } = deliveries;
  useEffect(() => {
    if (!open) return;
    const t = setInterval(reload, 3000);
    return () => clearInterval(t);
  }, [open, reload]);

  async function test() {
    setMessage(null);
    try {
      await api.post(`${HOOKS}/${encodeURIComponent(id)}/test`);
      setMessage({ kind: 'success', text: 'Test event queued: it appears below within seconds.' });
      deliveries.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof ApiError ? err.message : 'The test could not be sent.' });
    }
  }

  const items = [...(deliveries.data?.items ?? [])].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/settings/webhooks">Webhooks</Link> <span aria-hidden="true">/</span> Endpoint
      </nav>
      <PageHeader
        title="Webhook endpoint"
        actions={
          <>
            <button type="button" className="btn" onClick={deliveries.reload}>
              Refresh
            </button>
            {manage && e?.enabled && (
              <button type="button" className="btn btn-primary" onClick={() => void test()}>
                Send test
              </button>
            )}
          </>
        }
      >
        {e && <span className="mono">{e.url}</span>}
      </PageHeader>
      {(endpoint.error ?? deliveries.error) && <Alert kind="error">{(endpoint.error ?? deliveries.error)!.message}</Alert>}
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {e && (
        <section className="card">
          <dl className="kv">
            <dt>State</dt>
            <dd>
              <EndpointStateBadge e={e} />
              {e.disabledReason && <div className="small">{e.disabledReason}</div>}
            </dd>
            <dt>Description</dt>
            <dd>{e.description || '—'}</dd>
            <dt>Events</dt>
            <dd className="mono small">{e.events.join(', ')}</dd>
            <dt>Added</dt>
            <dd>{formatTime(e.createdAt)}</dd>
          </dl>
        </section>
      )}
      {!deliveries.data && !deliveries.error && <Loading />}
      {deliveries.data && (
        <div className="card table-card">
          <table className="table">
            <caption>
              Delivery log {open && <span className="small muted">(refreshing while deliveries are under way)</span>}
            </caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Last answer</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Next attempt</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No delivery yet. Send a test to see one.
                  </td>
                </tr>
              )}
              {items.map((d) => (
                <tr key={d.id}>
                  <td data-label="Event" className="wrap">
                    <code>{d.type}</code>
                    <div className="small muted mono">{d.eventId}</div>
                  </td>
                  <td data-label="Status">
                    <span className={`badge badge-delivery-${d.status}`}>
                      <span aria-hidden="true">{deliveryStatusGlyph(d.status)}</span> {deliveryStatusLabel(d.status)}
                    </span>
                    {d.deliveredAt && <div className="small muted">{formatTime(d.deliveredAt)}</div>}
                  </td>
                  <td data-label="Last answer" className="wrap">
                    {answerText(d.lastStatusCode, d.lastLatencyMs, d.lastError)}
                  </td>
                  <td data-label="Attempts" className="num">
                    {d.attempts}
                  </td>
                  <td data-label="Next attempt">{d.status === 'retrying' || d.status === 'pending' ? formatTime(d.nextAttemptAt) : '—'}</td>
                  <td data-label="Created">{formatTime(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
