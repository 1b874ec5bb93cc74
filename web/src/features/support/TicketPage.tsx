import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Dialog, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { isOperator, useSession } from '../auth/session';
import { formatSize, kindLabel, requestStateLabel, SCOPES, scopeLabel, STATUSES, statusLabel } from './support';
import { StatusBadge, topicTitle } from './TicketTable';
import type { Message, PortalCredential, Ticket, Topic } from './types';

type Notice = { kind: 'error' | 'success'; text: string } | null;

const errorText = (e: unknown, fallback: string) => (e instanceof ApiError ? e.message : fallback);

function MessageItem({ m }: { m: Message }) {
  // Answers name the support mailbox, and the agent when the server adds one: "(support)" only
  // when nothing says so yet.
  const who =
    m.kind === 'out' && !m.from.includes('(')
      ? `${m.from} (support)`
      : m.kind === 'note'
        ? `${m.from} — internal note`
        : m.from;
  return (
    <li className={`message message-${m.kind}`}>
      <div className="message-head">
        <strong>{m.kind === 'event' ? 'Update' : who}</strong> <span className="muted small">{formatTime(m.at)}</span>
      </div>
      <div className="message-text">{m.text}</div>
      {m.attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {m.attachments.map((a) => (
            <li key={a.id}>
              <a href={`/api/v1/support/attachments/${encodeURIComponent(a.id)}`} download={a.name}>
                {a.name}
              </a>{' '}
              <span className="muted small">({formatSize(a.size)})</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** Details of a structured request, and its result (the passwords only to the requester, once). */
function RequestPanel({ t, onChanged, requester }: { t: Ticket; onChanged: (n: Notice) => void; requester: boolean }) {
  const { me } = useSession();
  const r = t.request!;
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [credentials, setCredentials] = useState<PortalCredential[] | null>(null);
  const operator = me?.role === 'operator';
  const id = encodeURIComponent(t.id);
  const details = r.details ?? {};
  const result = r.result ?? {};

  async function decide(action: 'approve' | 'reject') {
    try {
      await api.post(`/api/v1/support/tickets/${id}/${action}`, action === 'reject' ? { reason } : {});
      setRejecting(false);
      onChanged({ kind: 'success', text: action === 'approve' ? 'Approved: the platform carries the request out now.' : 'Rejected; the requester is told why.' });
    } catch (e) {
      onChanged({ kind: 'error', text: errorText(e, `The request could not be ${action === 'approve' ? 'approved' : 'rejected'}.`) });
    }
  }
  async function reveal() {
    try {
      const c = await api.post<Items<PortalCredential>>(`/api/v1/support/tickets/${id}/credentials`);
      setCredentials(c.items);
    } catch (e) {
      onChanged({ kind: 'error', text: errorText(e, 'The passwords could not be shown.') });
    }
  }

  const users = Array.isArray(details.users) ? (details.users as { firstName?: string; lastName?: string; email?: string }[]) : [];
  const created = Array.isArray(result.users) ? (result.users as { userPrincipalName?: string; displayName?: string }[]) : [];
  return (
    <section className="card" aria-labelledby="request-title">
      <h2 id="request-title">{kindLabel(r.kind)}</h2>
      <dl className="kv">
        <dt>State</dt>
        <dd>
          <span className={`badge badge-request-${r.state}`}>{requestStateLabel(r.state)}</span>
        </dd>
        {r.decidedBy && (
          <>
            <dt>Decided by</dt>
            <dd>{r.decidedBy}</dd>
          </>
        )}
        {typeof details.company === 'string' && (
          <>
            <dt>Company</dt>
            <dd>{details.company}</dd>
            <dt>Asked by</dt>
            <dd>
              {String(details.firstName ?? '')} {String(details.lastName ?? '')}
            </dd>
            <dt>Reason</dt>
            <dd>{String(details.reason ?? '')}</dd>
          </>
        )}
        {typeof details.resourceType === 'string' && (
          <>
            <dt>Azure resource type</dt>
            <dd className="mono">{details.resourceType}</dd>
          </>
        )}
        {typeof details.month === 'string' && (
          <>
            <dt>Month</dt>
            <dd>{details.month}</dd>
          </>
        )}
        {typeof result.message === 'string' && (
          <>
            <dt>Result</dt>
            <dd>{result.message}</dd>
          </>
        )}
      </dl>
      {users.length > 0 && (
        <table className="table">
          <caption>Users asked for</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.email}>
                <td>
                  {u.firstName} {u.lastName}
                </td>
                <td>{u.email}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {created.length > 0 && (
        <p>
          Created: {created.map((u) => u.userPrincipalName).join(', ')}. They sign in at{' '}
          <a href="https://portal.azure.com" rel="noreferrer" target="_blank">
            portal.azure.com
          </a>{' '}
          and must change the temporary password at first sign-in.
        </p>
      )}
      {requester && r.kind === 'portal-users' && result.credentialsAvailable === true && !credentials && (
        <button type="button" className="btn btn-primary" onClick={() => void reveal()}>
          Show the temporary passwords
        </button>
      )}
      {credentials && (
        <div className="alert alert-warning" role="status">
          <p>
            <strong>Copy these now: they are shown only once.</strong>
          </p>
          <table className="table">
            <caption className="sr-only">Temporary passwords</caption>
            <thead>
              <tr>
                <th scope="col">Sign-in name</th>
                <th scope="col">Temporary password</th>
              </tr>
            </thead>
            <tbody>
              {credentials.map((c) => (
                <tr key={c.userPrincipalName}>
                  <td>{c.userPrincipalName}</td>
                  <td>
                    <code>{c.temporaryPassword}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {operator && r.state === 'pending-approval' && (
        <div className="form-actions">
          <button type="button" className="btn btn-danger-ghost" onClick={() => setRejecting(true)}>
            Reject
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void decide('approve')}>
            Approve
          </button>
        </div>
      )}
      <Dialog open={rejecting} title="Reject the request" onClose={() => setRejecting(false)}>
        <form
          className="dialog-body"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) void decide('reject');
          }}
        >
          <label className="field">
            <span>Reason (sent to the requester)</span>
            <textarea rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <div className="dialog-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setRejecting(false)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-danger" disabled={!reason.trim()}>
              Reject the request
            </button>
          </div>
        </form>
      </Dialog>
    </section>
  );
}

/** Status, assignee, classification and escalation: what agents change. */
function StaffPanel({ t, topics, onChanged }: { t: Ticket; topics: Topic[]; onChanged: (n: Notice) => void }) {
  const { me } = useSession();
  const [status, setStatus] = useState(t.status);
  const [scope, setScope] = useState(t.scope);
  const [topic, setTopic] = useState(t.topic);
  const [assignee, setAssignee] = useState(t.assignee ?? '');
  const [escalating, setEscalating] = useState(false);
  const [note, setNote] = useState('');
  const id = encodeURIComponent(t.id);
  useEffect(() => {
    setStatus(t.status);
    setScope(t.scope);
    setTopic(t.topic);
    setAssignee(t.assignee ?? '');
  }, [t.status, t.scope, t.topic, t.assignee]);

  async function patch(body: Record<string, unknown>, done: string) {
    try {
      await api.patch(`/api/v1/support/tickets/${id}`, body);
      onChanged({ kind: 'success', text: done });
    } catch (e) {
      onChanged({ kind: 'error', text: errorText(e, 'The ticket could not be changed.') });
    }
  }
  async function escalate(e: FormEvent) {
    e.preventDefault();
    try {
      await api.post(`/api/v1/support/tickets/${id}/escalate`, note.trim() ? { note: note.trim() } : {});
      setEscalating(false);
      onChanged({ kind: 'success', text: 'Escalated to Microsoft: a service request was opened and is followed here.' });
    } catch (err) {
      onChanged({ kind: 'error', text: errorText(err, 'The ticket could not be escalated.') });
    }
  }

  return (
    <section className="card side" aria-labelledby="ticket-panel">
      <h2 id="ticket-panel">Ticket</h2>
      <label className="field">
        <span>Status</span>
        <select value={status} onChange={(e) => setStatus(e.target.value as Ticket['status'])}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="btn btn-small" disabled={status === t.status} onClick={() => void patch({ status }, `Status set to ${statusLabel(status)}.`)}>
        Set status
      </button>

      <label className="field">
        <span>Assignee</span>
        <input type="email" value={assignee} onChange={(e) => setAssignee(e.target.value)} placeholder="agent@partner.example" />
      </label>
      <div className="row-actions">
        <button type="button" className="btn btn-small" onClick={() => void patch({ assignee: me?.user?.email ?? '' }, 'Assigned to you.')}>
          Assign to me
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={assignee === (t.assignee ?? '')}
          onClick={() => void patch({ assignee: assignee.trim() || null }, assignee.trim() ? `Assigned to ${assignee.trim()}.` : 'Unassigned.')}
        >
          Assign
        </button>
      </div>

      <h3>Classification</h3>
      {t.classification && (
        <p className="small muted">
          By {t.classification.by}
          {t.classification.confidence ? ` (confidence ${t.classification.confidence})` : ''}: {t.classification.reason}
          {t.classification.needsReview ? ' — needs review' : ''}
        </p>
      )}
      <label className="field">
        <span>Scope</span>
        <select value={scope} onChange={(e) => setScope(e.target.value as Ticket['scope'])}>
          {SCOPES.map((s) => (
            <option key={s} value={s}>
              {scopeLabel(s)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Topic</span>
        <select value={topic} onChange={(e) => setTopic(e.target.value)}>
          {topics.map((x) => (
            <option key={x.id} value={x.id}>
              {x.title}
            </option>
          ))}
          {!topics.some((x) => x.id === topic) && <option value={topic}>{topic}</option>}
        </select>
      </label>
      <button
        type="button"
        className="btn btn-small"
        disabled={scope === t.scope && topic === t.topic}
        onClick={() => void patch({ scope, topic }, 'Reclassified; the classifier learns from it.')}
      >
        Reclassify
      </button>

      <h3>Microsoft</h3>
      {t.escalation ? (
        <p>
          Service request <strong>{t.escalation.serviceRequestId}</strong>: {t.escalation.status}
          <br />
          <span className="small muted">updated {formatTime(t.escalation.updatedAt)}</span>
        </p>
      ) : (
        <button type="button" className="btn btn-small" onClick={() => setEscalating(true)}>
          Escalate to Microsoft
        </button>
      )}
      <Dialog open={escalating} title="Escalate to Microsoft" onClose={() => setEscalating(false)}>
        <form className="dialog-body" onSubmit={(e) => void escalate(e)}>
          <p className="muted">
            Opens a Partner Center service request with this ticket’s subject and conversation. Microsoft’s answers are
            added to the conversation as they come.
          </p>
          <label className="field">
            <span>Note for Microsoft (optional)</span>
            <textarea rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <div className="dialog-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setEscalating(false)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary">
              Open a service request
            </button>
          </div>
        </form>
      </Dialog>
    </section>
  );
}

export function TicketPage() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const staff = isOperator(me);
  const ticket = useLoad<Ticket>(`/api/v1/support/tickets/${encodeURIComponent(id)}`);
  const topics = useLoad<Items<Topic>>('/api/v1/support/topics');
  const [notice, setNotice] = useState<Notice>(null);
  const [text, setText] = useState('');
  const [internal, setInternal] = useState(false);
  const [sending, setSending] = useState(false);
  const { reload } = ticket;

  // Answers, Microsoft's notes and request progress arrive on their own: look again now and then.
  useEffect(() => {
    const timer = window.setInterval(reload, 15000);
    return () => window.clearInterval(timer);
  }, [reload]);

  function changed(n: Notice) {
    setNotice(n);
    reload();
  }
  async function send(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return;
    setSending(true);
    try {
      await api.post(`/api/v1/support/tickets/${encodeURIComponent(id)}/messages`, { text: text.trim(), internal: staff && internal });
      setText('');
      changed({ kind: 'success', text: internal && staff ? 'Note added.' : 'Reply sent.' });
    } catch (err) {
      setNotice({ kind: 'error', text: errorText(err, 'The message could not be sent.') });
    } finally {
      setSending(false);
    }
  }

  const t = ticket.data;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={staff ? '/support/queue' : '/support'}>{staff ? 'Support queue' : 'Support'}</Link>{' '}
        <span aria-hidden="true">/</span> {t ? `#${t.number}` : id}
      </nav>
      {ticket.error && <Alert kind="error">{ticket.error.message}</Alert>}
      {!t && !ticket.error && <Loading />}
      {t && (
        <>
          <PageHeader title={t.subject || '(no subject)'} actions={<StatusBadge status={t.status} />}>
            #{t.number} · {topicTitle(topics.data?.items, t.topic)} · {scopeLabel(t.scope)}
            {t.billingAlias ? ` · ${t.billingAlias}` : ''} · from {t.requester.name || t.requester.email}
            {t.organizationName ? ` (${t.organizationName})` : ''}
            {t.sla?.breached ? ' · SLA breached' : ''}
          </PageHeader>
          {notice && <Alert kind={notice.kind}>{notice.text}</Alert>}
          <div className={staff ? 'ticket-grid' : ''}>
            <div>
              {t.request && (
                <RequestPanel t={t} onChanged={changed} requester={me?.user?.email?.toLowerCase() === t.requester.email.toLowerCase()} />
              )}
              <section className="card" aria-labelledby="conversation-title">
                <h2 id="conversation-title">Conversation</h2>
                <ol className="messages">
                  {(t.messages ?? []).map((m) => (
                    <MessageItem key={m.id} m={m} />
                  ))}
                </ol>
                {t.status !== 'closed' && (
                  <form onSubmit={(e) => void send(e)} className="reply">
                    <label className="field">
                      <span>{staff && internal ? 'Internal note' : 'Reply'}</span>
                      <textarea rows={5} value={text} onChange={(e) => setText(e.target.value)} maxLength={4000} />
                    </label>
                    <div className="form-actions">
                      {staff && (
                        <label className="check">
                          <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} />
                          <span>Internal note (the customer does not see it)</span>
                        </label>
                      )}
                      <button type="submit" className="btn btn-primary" disabled={sending || !text.trim()}>
                        {staff && internal ? 'Add note' : 'Send reply'}
                      </button>
                    </div>
                  </form>
                )}
              </section>
            </div>
            {staff && <StaffPanel t={t} topics={topics.data?.items ?? []} onChanged={changed} />}
          </div>
        </>
      )}
    </>
  );
}
