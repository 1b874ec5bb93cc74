import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import type { Items, PricingRule } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { isDecimal } from '../../lib/money';


/** Why a pricing rule form cannot be sent, or null. */
export function pricingRuleProblem(percent: string, from: string): string | null {
  if (!isDecimal(percent)) return 'Percent must be a number such as 12.5 (markup) or -5 (discount).';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) return 'Effective from must be a date.';
  return null;
}

export function PricingPage() {
  const rules = useLoad<Items<PricingRule>>('/api/v1/pricing-rules');
  const [alias, setAlias] = useState('');
  const [category, setCategory] = useState('');
  const [percent, setPercent] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const problem = pricingRuleProblem(percent.trim(), from);

  async function add(e: FormEvent) {
    e.preventDefault();
    if (problem) return;
    setError(null);
    setDone(null);
    const body: Record<string, string> = { percent: percent.trim(), effectiveFrom: from };
    if (alias.trim()) body.billingAlias = alias.trim().toUpperCase();
    if (category.trim()) body.meterCategory = category.trim();
    if (to) body.effectiveTo = to;
    if (note.trim()) body.note = note.trim();
    try {
      await api.post('/api/v1/pricing-rules', body);
      setDone('Pricing rule added.');
      setPercent('');
      setNote('');
      rules.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The rule could not be added.');
    }
  }

  return (
    <>
      <PageHeader title="Pricing rules">Markups (positive) and discounts (negative) on Microsoft’s list prices.</PageHeader>
      <form className="card form" onSubmit={add}>
        <h2>Add a rule</h2>
        <div className="grid-3">
          <label className="field">
            <span>Billing alias (optional)</span>
            <input value={alias} onChange={(e) => setAlias(e.target.value)} />
          </label>
          <label className="field">
            <span>Meter category (optional)</span>
            <input value={category} onChange={(e) => setCategory(e.target.value)} />
          </label>
          <label className="field">
            <span>Percent</span>
            <input inputMode="decimal" value={percent} onChange={(e) => setPercent(e.target.value)} />
          </label>
          <label className="field">
            <span>Effective from</span>
            <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="field">
            <span>Effective to (optional)</span>
            <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <label className="field">
            <span>Note</span>
            <input value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
        </div>
        {error && <Alert kind="error">{error}</Alert>}
        {done && <Alert kind="success">{done}</Alert>}
        <div className="form-actions">
          {problem && (percent || from) && <p className="muted small">{problem}</p>}
          <button type="submit" className="btn btn-primary" disabled={problem !== null}>
            Add rule
          </button>
        </div>
      </form>
      {rules.error && <Alert kind="error">{rules.error.message}</Alert>}
      {!rules.data && !rules.error && <Loading />}
      {rules.data && (
        <div className="card table-card">
          <table className="table">
            <caption>Rules in force, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Alias</th>
                <th scope="col">Meter category</th>
                <th scope="col" className="num">
                  Percent
                </th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {rules.data.items.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No rules: customers pay Microsoft’s list price.
                  </td>
                </tr>
              )}
              {rules.data.items.map((r) => (
                <tr key={r.id}>
                  <td data-label="Alias">{r.billingAlias ?? 'All'}</td>
                  <td data-label="Meter category">{r.meterCategory ?? 'All'}</td>
                  <td data-label="Percent" className="num">
                    {r.percent?.startsWith('-') ? r.percent : `+${r.percent ?? ''}`}%
                  </td>
                  <td data-label="From">{r.effectiveFrom}</td>
                  <td data-label="To">{r.effectiveTo ?? '—'}</td>
                  <td data-label="Note">{r.note}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
