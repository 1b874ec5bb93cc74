import { useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Items } from '../../api/types';
import { Alert, Dialog, Loading } from '../../components/ui';
import { formatMoney } from '../../lib/money';
import { formatMonth, formatTime } from '../../lib/time';
import { useSession } from '../auth/session';
import { BudgetEditor } from './BudgetEditor';
import { alertKindLabel, budgetChanges, emptyBudgetForm, formFromBudget, percentText, usageLevel } from './budgets';
import type { Budget } from './types';

/** Who may create, change and delete budgets: the organization's admins and operators. */
export function canManageBudgets(role: string | undefined): boolean {
  return role === 'org_admin' || role === 'operator';
}

/**
 * The budgets of one billing alias on its billing page: each with its figures, thresholds and
 * alert history; an editor for admins. `budgets` is loaded by the page (the chart uses it too).
 */
export function BudgetsSection({
  alias,
  currency,
  subscriptions,
  budgets,
  error,
  reload,
}: {
  alias: string;
  currency: string;
  subscriptions: string[];
  budgets: Items<Budget> | null;
  error: ApiError | null;
  reload: () => void;
}) {
  const { me } = useSession();
  const manage = canManageBudgets(me?.role);
  const [editing, setEditing] = useState<Budget | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Budget | null>(null);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  async function remove(b: Budget) {
    try {
      await api.del(`/api/v1/budgets/${encodeURIComponent(b.id)}`);
      setMessage({ kind: 'success', text: `Deleted the budget “${b.name}”.` });
      reload();
    } catch (e) {
      setMessage({ kind: 'error', text: e instanceof ApiError ? e.message : 'The budget could not be deleted.' });
    }
    setDeleting(null);
  }

  const items = budgets?.items ?? [];
  return (
    <section className="card budgets" aria-labelledby="budgets-title">
      <div className="status-head">
        <h2 id="budgets-title">Budgets</h2>
        {manage && (
          <button type="button" className="btn btn-small btn-primary" onClick={() => setEditing('new')}>
            New budget
          </button>
        )}
      </div>
      {error && <Alert kind="error">{error.message}</Alert>}
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {!budgets && !error && <Loading />}
      {budgets && items.length === 0 && (
        <p className="muted">
          No budget for {alias} yet.{' '}
          {manage ? 'Set one to be told by email (and webhook) when spend crosses a threshold.' : 'An organization admin can set one.'}
        </p>
      )}
      {items.map((b) => (
        <article key={b.id} className="budget" aria-labelledby={`budget-${b.id}`}>
          <div className="budget-head">
            <h3 id={`budget-${b.id}`}>
              {b.name} <span className="muted small">{b.subscriptionId ? `subscription ${b.subscriptionId}` : `all of ${b.alias}`}</span>
            </h3>
            {manage && (
              <div className="row-actions">
                <button type="button" className="btn btn-small" onClick={() => setEditing(b)} aria-label={`Edit ${b.name}`}>
                  Edit
                </button>
                <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setDeleting(b)} aria-label={`Delete ${b.name}`}>
                  Delete
                </button>
              </div>
            )}
          </div>
          <dl className="budget-figures">
            <div>
              <dt>Monthly budget</dt>
              <dd>{formatMoney(b.amount, b.currency)}</dd>
            </div>
            <div>
              <dt>Actual{b.status ? `, ${formatMonth(b.status.month)}` : ''}</dt>
              <dd>
                {b.status ? formatMoney(b.status.actual, b.currency) : '—'}{' '}
                {b.status && <UsageTag percent={b.status.percentActual} />}
              </dd>
            </div>
            <div>
              <dt>Forecast</dt>
              <dd>
                {b.status ? formatMoney(b.status.forecast, b.currency) : '—'}{' '}
                {b.status && <UsageTag percent={b.status.percentForecast} />}
              </dd>
            </div>
            <div>
              <dt>As of</dt>
              <dd>{formatTime(b.status?.asOf)}</dd>
            </div>
          </dl>
          {b.status?.problem && <Alert kind="warning">{b.status.problem}</Alert>}
          <p className="small">
            <strong>Alerts at:</strong>{' '}
            {b.thresholds.length === 0 && !b.pace.enabled && 'none'}
            {b.thresholds.map((t) => `${t.percent}% ${t.kind === 'actual' ? 'actual' : 'forecast'}`).join(', ')}
            {b.pace.enabled && `${b.thresholds.length ? '; ' : ''}pace, ${b.pace.tolerancePercent}% above the month’s share`}
            {' · '}
            <strong>To:</strong> {b.recipients.join(', ') || 'nobody'}
          </p>
          <table className="table compact">
            <caption className="small">Alert history</caption>
            <thead>
              <tr>
                <th scope="col">Sent</th>
                <th scope="col">Month</th>
                <th scope="col">Alert</th>
                <th scope="col" className="num">
                  Spend
                </th>
                <th scope="col" className="num">
                  Budget
                </th>
                <th scope="col">Figures as of</th>
              </tr>
            </thead>
            <tbody>
              {b.alerts.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No alert yet.
                  </td>
                </tr>
              )}
              {[...b.alerts]
                .sort((x, y) => (x.sentAt < y.sentAt ? 1 : -1))
                .map((a) => (
                  <tr key={a.id}>
                    <td data-label="Sent">{formatTime(a.sentAt)}</td>
                    <td data-label="Month">{formatMonth(a.month)}</td>
                    <td data-label="Alert">
                      {alertKindLabel(a.kind)} {percentText(a.percent)}
                    </td>
                    <td data-label="Spend" className="num">
                      {formatMoney(a.amount, b.currency)}
                    </td>
                    <td data-label="Budget" className="num">
                      {formatMoney(a.budgetAmount, b.currency)}
                    </td>
                    <td data-label="Figures as of">{formatTime(a.asOf)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </article>
      ))}
      <Dialog open={editing !== null} title={editing === 'new' ? 'New budget' : 'Edit budget'} onClose={() => setEditing(null)}>
        <div className="dialog-body">
          {editing !== null && (
            <BudgetEditor
              alias={alias}
              currency={editing === 'new' ? currency : editing.currency}
              initial={editing === 'new' ? emptyBudgetForm(alias) : formFromBudget(editing)}
              subscriptions={subscriptions}
              saveLabel={editing === 'new' ? 'Create budget' : 'Save budget'}
              scopeFixed={editing !== 'new'}
              onCancel={() => setEditing(null)}
              onSave={async (body) => {
                if (editing === 'new') await api.post<Budget>('/api/v1/budgets', body);
                else await api.patch<Budget>(`/api/v1/budgets/${encodeURIComponent(editing.id)}`, budgetChanges(body));
                setMessage({ kind: 'success', text: editing === 'new' ? `Created the budget “${body.name}”.` : `Saved the budget “${body.name}”.` });
                setEditing(null);
                reload();
              }}
            />
          )}
        </div>
      </Dialog>
      <Dialog open={deleting !== null} title="Delete this budget?" onClose={() => setDeleting(null)}>
        <div className="dialog-body">
          <p>
            “{deleting?.name}” and its alert history are deleted; no more alerts are sent for it.
          </p>
          <div className="dialog-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setDeleting(null)}>
              Cancel
            </button>
            <button type="button" className="btn btn-danger" onClick={() => deleting && void remove(deleting)}>
              Delete
            </button>
          </div>
        </div>
      </Dialog>
    </section>
  );
}

/** The API's percentage of the budget, with words so it reads without colour. */
function UsageTag({ percent }: { percent: string }) {
  const level = usageLevel(percent);
  const words =
    level === 'over' ? 'of the budget (over)' : level === 'near' ? 'of the budget (near)' : 'of the budget';
  return (
    <span className={`badge badge-budget-${level}`}>
      {percentText(percent)} {words}
    </span>
  );
}
