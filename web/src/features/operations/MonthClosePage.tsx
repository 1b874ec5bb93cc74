import { useMemo, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { ClosedInvoiceLine, Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, DataTable, Loading, StateBadge, type TableColumn } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatMoney } from '../../lib/money';
import { formatMonth, formatTime, recentMonths } from '../../lib/time';

const COLUMNS: TableColumn[] = [
  { label: 'Alias' },
  { label: 'Line' },
  { label: 'State' },
  { label: 'Posted' },
  { label: 'Amount', numeric: true },
];

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
        <DataTable
          caption={`Posted lines for ${formatMonth(month)}`}
          columns={COLUMNS}
          items={lines.data.items}
          empty="No invoice lines for this month: it is not closed yet, or it had no billed usage."
          row={(l, i) => (
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
          )}
        />
      )}
    </>
  );
}
