import { useEffect, useRef, useState, type FormEvent } from 'react';
import { DialogFooter, Field } from '../../components/ui';
import { budgetBody, budgetProblems, type BudgetForm } from './budgets';

/**
 * The budget editor: name, scope (the whole alias or one Azure subscription), monthly amount in
 * the alias's currency, thresholds on actual or forecast spend, the pace alert and recipients.
 * `onSave` gets the request body and throws (with a message) when the server refuses.
 */
export function BudgetEditor({
  alias,
  currency,
  initial,
  subscriptions,
  saveLabel,
  scopeFixed = false,
  onSave,
  onCancel,
}: {
  alias: string;
  currency: string;
  initial: BudgetForm;
  subscriptions: string[];
  saveLabel: string;
  /** Editing: the scope is the budget's and cannot change. */
  scopeFixed?: boolean;
  onSave: (body: ReturnType<typeof budgetBody>) => Promise<void>;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<BudgetForm>(initial);
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);
  const problems = budgetProblems(form);
  const set = <K extends keyof BudgetForm>(k: K, v: BudgetForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const setThreshold = (i: number, k: 'percent' | 'kind', v: string) =>
    setForm((f) => ({ ...f, thresholds: f.thresholds.map((t, j) => (j === i ? { ...t, [k]: v } : t)) }));

  useEffect(() => {
    if (error || (tried && problems.length)) errorRef.current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [error, tried]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (problems.length) return;
    setSaving(true);
    setError(null);
    try {
      await onSave(budgetBody(form, alias));
    } catch (err) {
      setError(err instanceof Error ? err.message : 'The budget could not be saved. Try again.');
      setSaving(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="budget-form">
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
      <Field label="Name">
        <input value={form.name} onChange={(e) => set('name', e.target.value)} maxLength={120} />
      </Field>
      <div className="grid-2">
        <Field label="Scope">
          <select value={form.subscriptionId} disabled={scopeFixed} onChange={(e) => set('subscriptionId', e.target.value)}>
            <option value="">All of {alias}</option>
            {form.subscriptionId && !subscriptions.includes(form.subscriptionId) && (
              <option value={form.subscriptionId}>Subscription {form.subscriptionId}</option>
            )}
            {subscriptions.map((s) => (
              <option key={s} value={s}>
                Subscription {s}
              </option>
            ))}
          </select>
        </Field>
        <div>
          <Field
            label={`Monthly amount (${currency})`}
            hintId="amount-help"
            hint={<>In {currency}, the alias’s billing currency, at your price (the figures of this page).</>}
          >
            <input value={form.amount} onChange={(e) => set('amount', e.target.value)} inputMode="decimal" placeholder="500.00" />
          </Field>
        </div>
      </div>
      <fieldset className="thresholds">
        <legend>Alert thresholds (percent of the amount)</legend>
        {form.thresholds.length === 0 && <p className="muted small">No threshold.</p>}
        {form.thresholds.map((t, i) => (
          <div className="threshold-row" key={i}>
            <Field label={<>Threshold {i + 1} percent</>}>
              <input value={t.percent} inputMode="decimal" onChange={(e) => setThreshold(i, 'percent', e.target.value)} />
            </Field>
            <Field label={<>Threshold {i + 1} on</>}>
              <select value={t.kind} onChange={(e) => setThreshold(i, 'kind', e.target.value)}>
                <option value="actual">Actual spend</option>
                <option value="forecast">Forecast for the month</option>
              </select>
            </Field>
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() => set('thresholds', form.thresholds.filter((_, j) => j !== i))}
            >
              Remove threshold {i + 1}
            </button>
          </div>
        ))}
        <button
          type="button"
          className="btn btn-small"
          disabled={form.thresholds.length >= 10}
          onClick={() => set('thresholds', [...form.thresholds, { percent: '', kind: 'actual' }])}
        >
          Add a threshold
        </button>
      </fieldset>
      <div className="pace">
        <label className="check">
          <input type="checkbox" checked={form.paceEnabled} onChange={(e) => set('paceEnabled', e.target.checked)} />
          <span>Pace alert: month to date above the budget’s share of the month elapsed</span>
        </label>
        {form.paceEnabled && (
          <Field label="Pace tolerance (percent above the share)">
            <input value={form.paceTolerance} inputMode="decimal" onChange={(e) => set('paceTolerance', e.target.value)} />
          </Field>
        )}
      </div>
      <Field label="Recipients (email addresses, one per line)">
        <textarea rows={3} value={form.recipients} onChange={(e) => set('recipients', e.target.value)} />
      </Field>
      <DialogFooter label={saveLabel} busyLabel="Saving…" busy={saving} onCancel={onCancel} />
    </form>
  );
}
