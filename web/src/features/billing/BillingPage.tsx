import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { BillingAliasEntry, BillingSummary, InvoiceLine, Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, EmptyState, Loading, StateBadge } from '../../components/ui';
import { formatMoney } from '../../lib/money';
import { formatMonth, formatTime, recentMonths } from '../../lib/time';
import { useLoad } from '../../components/useLoad';
import { BudgetsSection } from '../budgets/BudgetsSection';
import { buildCumulative } from '../budgets/budgets';
import { CumulativeChart } from '../budgets/CumulativeChart';
import type { Budget } from '../budgets/types';
import { buildChart, tableRows, type AmountRow } from './chartData';
import { DailyChart } from './DailyChart';

export function BillingIndexPage() {
  const [aliases, setAliases] = useState<BillingAliasEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();
  useEffect(() => {
    api
      .get<Items<BillingAliasEntry>>('/api/v1/billing')
      .then((r) => r.items)
      .then((a) => {
        if (a.length === 1 && a[0]) navigate(`/billing/${a[0].billingAlias}`, { replace: true });
        else setAliases(a);
      })
      .catch((e: Error) => setError(e.message));
  }, [navigate]);
  return (
    <>
      <PageHeader title="Billing">Azure charges per CenturyLink Cloud billing alias.</PageHeader>
      {error && <Alert kind="error">{error}</Alert>}
      {!aliases && !error && <Loading />}
      {aliases && aliases.length === 0 && (
        <EmptyState title="No billing alias yet">
          <p>Charges appear here once a provider bills a CenturyLink Cloud account.</p>
        </EmptyState>
      )}
      {aliases && aliases.length > 0 && (
        <ul className="alias-list">
          {aliases.map((a) => (
            <li key={a.billingAlias}>
              <Link className="card alias-card" to={`/billing/${a.billingAlias}`}>
                <span className="alias-name">{a.billingAlias}</span>
                <span className="muted small">
                  {a.providerCount ?? 0} provider{a.providerCount === 1 ? '' : 's'}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Figure({ label, amount, currency, asOf, note }: { label: string; amount: string; currency: string; asOf?: string; note: string }) {
  return (
    <div className="card figure">
      <h2 className="figure-label">{label}</h2>
      <p className="figure-amount">{formatMoney(amount, currency)}</p>
      <p className="muted small">{note}</p>
      <p className="muted small">As of {formatTime(asOf)}</p>
    </div>
  );
}

function AmountTable({ caption, keyLabel, rows, total, currency }: { caption: string; keyLabel: string; rows: AmountRow[]; total: string; currency: string }) {
  const all = tableRows(rows, total);
  return (
    <div className="card table-card">
      <table className="table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{keyLabel}</th>
            <th scope="col" className="num">
              Charges
            </th>
          </tr>
        </thead>
        <tbody>
          {all.map((r) => (
            <tr key={r.key}>
              <td data-label={keyLabel}>
                <span className={keyLabel === 'Azure subscription' ? 'mono' : undefined}>{r.key}</span>
              </td>
              <td data-label="Charges" className="num">
                {formatMoney(r.charge, currency)}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td className="num" data-label="Total">
              <strong>{formatMoney(total, currency)}</strong>
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

export function BillingAliasPage() {
  const { alias = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const months = useMemo(() => recentMonths(new Date(), 13), []);
  const month = params.get('month') ?? months[0] ?? '';
  const [summary, setSummary] = useState<BillingSummary | null>(null);
  const [noUsage, setNoUsage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [invoices, setInvoices] = useState<InvoiceLine[] | null>(null);
  const budgets = useLoad<Items<Budget>>(`/api/v1/budgets?alias=${encodeURIComponent(alias)}`);
  // Budgets of the whole alias are drawn on the cumulative view (one subscription's is not
  // comparable with the alias's total); that view opens first when there is one.
  const aliasBudgets = (budgets.data?.items ?? []).filter((b) => !b.subscriptionId);
  const [view, setView] = useState<'daily' | 'cumulative' | null>(null);
  const chartView = view ?? (aliasBudgets.length ? 'cumulative' : 'daily');

  useEffect(() => {
    const ac = new AbortController();
    setSummary(null);
    setNoUsage(null);
    setError(null);
    api
      .get<BillingSummary>(`/api/v1/billing/${encodeURIComponent(alias)}?month=${month}`, ac.signal)
      .then(setSummary)
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.code === 'NoUsageYet') setNoUsage(e.message);
        else if (e instanceof Error && e.name !== 'AbortError') setError(e.message);
      });
    return () => ac.abort();
  }, [alias, month]);

  useEffect(() => {
    api
      .get<Items<InvoiceLine>>(`/api/v1/billing/${encodeURIComponent(alias)}/invoices`)
      .then((r) => setInvoices(r.items))
      .catch(() => setInvoices([]));
  }, [alias]);

  const currency = summary?.currency ?? 'USD';
  const chart = summary
    ? buildChart(
        summary.month ?? month,
        summary.daysInMonth ?? 30,
        summary.daysElapsed ?? 0,
        (summary.daily ?? []) as { day?: string; charge?: string }[],
        summary.mtd ?? '0',
        summary.forecast ?? '0',
      )
    : null;
  const rowsOf = (items: unknown[] | undefined, key: string): AmountRow[] =>
    ((items ?? []) as Record<string, string>[]).map((i) => ({ key: i[key] ?? '', charge: i.charge ?? '0' }));

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/billing">Billing</Link> <span aria-hidden="true">/</span> {alias}
      </nav>
      <PageHeader
        title={`Billing for ${alias}`}
        actions={
          <>
            <label className="field field-inline">
              <span>Month</span>
              <select value={month} onChange={(e) => setParams({ month: e.target.value })}>
                {months.map((m) => (
                  <option key={m} value={m}>
                    {formatMonth(m)}
                  </option>
                ))}
              </select>
            </label>
            <a className="btn" href={`/api/v1/billing/${encodeURIComponent(alias)}/detail.csv?month=${month}`} download>
              Download CSV
            </a>
            <a
              className="btn"
              href={`/api/v1/billing/${encodeURIComponent(alias)}/focus.csv?month=${month}`}
              download
              title="The month’s cost data in the FinOps Open Cost and Usage Specification (FOCUS) 1.2 format"
            >
              FOCUS 1.2 CSV
            </a>
          </>
        }
      >
        Azure usage billed on CenturyLink Cloud as “Integrated Azure Services Usage”.
      </PageHeader>
      {error && <Alert kind="error">{error}</Alert>}
      {noUsage && (
        <EmptyState title="No usage yet">
          <p>There is no Azure usage for {alias} in {formatMonth(month)} yet. Charges appear here about an hour after resources start running.</p>
        </EmptyState>
      )}
      {!summary && !noUsage && !error && <Loading />}
      {summary && chart && (
        <>
          <div className="figures">
            <Figure label="Month to date" amount={summary.mtd ?? '0'} currency={currency} asOf={summary.asOf} note={`Charges so far in ${formatMonth(month)}.`} />
            <Figure
              label="End-of-month estimate"
              amount={summary.eomEstimate ?? '0'}
              currency={currency}
              asOf={summary.asOf}
              note={`Month to date × ${summary.daysInMonth ?? '?'} days ÷ ${summary.daysElapsed ?? '?'} days elapsed.`}
            />
            <Figure label="Forecast" amount={summary.forecast ?? '0'} currency={currency} asOf={summary.asOf} note="Month to date plus the last 7 days’ daily rate for the days left." />
          </div>
          <section className="card">
            <div className="status-head">
              <h2>{chartView === 'daily' ? 'Daily charges' : 'Month to date against the budget'}</h2>
              <fieldset className="segmented">
                <legend className="sr-only">Chart</legend>
                <label>
                  <input type="radio" name="chart-view" checked={chartView === 'daily'} onChange={() => setView('daily')} />
                  <span>Per day</span>
                </label>
                <label>
                  <input type="radio" name="chart-view" checked={chartView === 'cumulative'} onChange={() => setView('cumulative')} />
                  <span>Cumulative{aliasBudgets.length ? ' with budget' : ''}</span>
                </label>
              </fieldset>
            </div>
            {chartView === 'daily' ? (
              <DailyChart
                model={chart}
                currency={currency}
                summary={`Month to date ${formatMoney(summary.mtd ?? '0', currency)} over ${summary.daysElapsed ?? 0} days; end-of-month estimate ${formatMoney(summary.eomEstimate ?? '0', currency)}; forecast ${formatMoney(summary.forecast ?? '0', currency)}.`}
              />
            ) : (
              <CumulativeChart
                points={buildCumulative(
                  summary.month ?? month,
                  summary.daysInMonth ?? 30,
                  summary.daysElapsed ?? 0,
                  (summary.daily ?? []) as { day?: string; charge?: string }[],
                  summary.forecast ?? '0',
                )}
                budgets={aliasBudgets.map((b) => ({ name: b.name, amount: b.amount }))}
                currency={currency}
                summary={`Month to date ${formatMoney(summary.mtd ?? '0', currency)}; forecast ${formatMoney(summary.forecast ?? '0', currency)}${aliasBudgets
                  .map((b) => `; budget ${b.name} ${formatMoney(b.amount, b.currency)}`)
                  .join('')}.`}
              />
            )}
          </section>
          <div className="grid-2 tables">
            <AmountTable caption="By meter category" keyLabel="Meter category" rows={rowsOf(summary.byMeterCategory, 'meterCategory')} total={summary.mtd ?? '0'} currency={currency} />
            <AmountTable caption="By Azure subscription" keyLabel="Azure subscription" rows={rowsOf(summary.byAzureSubscription, 'azureSubscriptionId')} total={summary.mtd ?? '0'} currency={currency} />
          </div>
        </>
      )}
      <BudgetsSection
        alias={alias}
        currency={currency}
        subscriptions={((summary?.byAzureSubscription ?? []) as { azureSubscriptionId?: string }[]).map((s) => s.azureSubscriptionId ?? '').filter(Boolean)}
        budgets={budgets.data}
        error={budgets.error}
        reload={budgets.reload}
      />
      <section className="card table-card">
        <table className="table">
          <caption>Invoice history</caption>
          <thead>
            <tr>
              <th scope="col">Invoice month</th>
              <th scope="col">Line</th>
              <th scope="col">State</th>
              <th scope="col">Posted</th>
              <th scope="col" className="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {invoices === null && (
              <tr>
                <td colSpan={5}>
                  <Loading />
                </td>
              </tr>
            )}
            {invoices?.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No invoice lines yet: a line is posted when a month closes.
                </td>
              </tr>
            )}
            {invoices?.map((l) => (
              <tr key={l.key ?? `${l.invoiceMonth}-${l.kind}`}>
                <td data-label="Invoice month">{l.invoiceMonth ? formatMonth(l.invoiceMonth) : '—'}</td>
                <td data-label="Line">
                  {l.description}
                  {l.usageMonth && l.usageMonth !== l.invoiceMonth && <div className="muted small">usage of {formatMonth(l.usageMonth)}</div>}
                </td>
                <td data-label="State">
                  <StateBadge state={l.state ?? ''} />
                </td>
                <td data-label="Posted">{formatTime(l.postedAt)}</td>
                <td data-label="Amount" className="num">
                  {formatMoney(l.amount ?? '0', l.currency ?? currency)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
