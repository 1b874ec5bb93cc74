import { useMemo, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { ClosedInvoiceLine, Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading, StateBadge } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatMoney } from '../../lib/money';
import { formatMonth, formatTime, recentMonths } from '../../lib/time';


export function MonthClosePage() {
  // Months that have ended: the previous twelve.
  const months = useMemo(() => recentMonths(new Date(), 13).slice(1), []);
  const [month, setMonth] = useState(months[0] ?? '');
  const lines = useLoad<Items<ClosedInvoiceLine>>(`/api/v1/billing/closes?month=${month}`);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);

  async function close() {
    setBusy(true);
    setMessage(null);
    try {
      await api.post('/api/v1/billing/close', { month });
      setMessage({ kind: 'success', text: `${formatMonth(month)} is closed; its invoice lines are below.` });
      lines.reload();
    } catch (e) {
      setMessage({ kind: 'error', text: e instanceof ApiError ? e.message : 'The month could not be closed.' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeader
        title="Month close"
        actions={
          <>
            <label className="field field-inline">
              <span>Month</span>
              <select value={month} onChange={(e) => setMonth(e.target.value)}>
                {months.map((m) => (
                  <option key={m} value={m}>
                    {formatMonth(m)}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void close()}>
              {busy ? 'Closing…' : 'Close month'}
            </button>
          </>
        }
      >
        One “Integrated Azure Services Usage” line per billing alias, posted once to CenturyLink Cloud.
      </PageHeader>
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {lines.error && <Alert kind="error">{lines.error.message}</Alert>}
      {!lines.data && !lines.error && <Loading />}
      {lines.data && (
        <div className="card table-card">
          <table className="table">
            <caption>Posted lines for {formatMonth(month)}</caption>
            <thead>
              <tr>
                <th scope="col">Alias</th>
                <th scope="col">Line</th>
                <th scope="col">State</th>
                <th scope="col">Posted</th>
                <th scope="col" className="num">
                  Amount
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.data.items.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    No invoice lines for this month: it is not closed yet, or it had no billed usage.
                  </td>
                </tr>
              )}
              {lines.data.items.map((l, i) => (
                <tr key={`${l.billingAlias}-${l.kind}-${i}`}>
                  <td data-label="Alias">{l.billingAlias}</td>
                  <td data-label="Line">{l.description ?? l.kind}</td>
                  <td data-label="State">
                    <StateBadge state={l.state ?? ''} />
                  </td>
                  <td data-label="Posted">{formatTime(l.postedAt)}</td>
                  <td data-label="Amount" className="num">
                    {formatMoney(l.amount ?? '0', l.currency ?? 'USD')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
