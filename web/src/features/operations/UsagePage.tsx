import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, usageFileType } from '../../api/client';
import type { Items, KeptAsideUsage, UsageImport, UsageImportRecord } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, Loading } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatMoney } from '../../lib/money';
import { formatTime } from '../../lib/time';

export function UsagePage() {
  const imports = useLoad<Items<UsageImportRecord>>('/api/v1/usage/imports?limit=50');
  const kept = useLoad<Items<KeptAsideUsage>>('/api/v1/usage/kept-aside');
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<UsageImport | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function upload(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const type = usageFileType(file.name);
      setResult(
        await api.upload<UsageImport>(
          `/api/v1/usage/imports?name=${encodeURIComponent(file.name)}`,
          file,
          type.contentType,
          type.contentEncoding,
        ),
      );
      imports.reload();
      kept.reload();
      if (fileRef.current) fileRef.current.value = '';
      setFile(null);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The file could not be uploaded.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeader title="Usage imports">Rated usage files from Partner Center, the FOCUS export or the Graph billing export.</PageHeader>
      <form className="card form upload" onSubmit={upload}>
        <h2>Upload a usage file</h2>
        <label className="field">
          <span>Usage file</span>
          <input ref={fileRef} type="file" accept=".csv,.jsonl,.ndjson,.json,.gz,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!file || busy}>
            {busy ? 'Importing…' : 'Upload'}
          </button>
        </div>
        {error && <Alert kind="error">{error}</Alert>}
        {result && (
          <Alert kind={result.rowsRejected ? 'warning' : 'success'}>
            {result.alreadyImported
              ? `${result.fileName} was already imported: nothing changed.`
              : `${result.fileName}: ${result.rowsImported} rows imported, ${result.rowsRejected} rejected, ${result.rowsUnknownCustomer} kept aside, ${result.rowsDuplicate} duplicates.`}
          </Alert>
        )}
        {result && result.rejections.length > 0 && <Rejections items={result.rejections} />}
      </form>

      <section className="card table-card">
        <table className="table">
          <caption>Recent imports</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Digest</th>
              <th scope="col" className="num">
                Rows
              </th>
              <th scope="col" className="num">
                Errors
              </th>
              <th scope="col">Imported</th>
            </tr>
          </thead>
          <tbody>
            {imports.error && (
              <tr>
                <td colSpan={5}>
                  <Alert kind="error">{imports.error.message}</Alert>
                </td>
              </tr>
            )}
            {!imports.data && !imports.error && (
              <tr>
                <td colSpan={5}>
                  <Loading />
                </td>
              </tr>
            )}
            {imports.data?.items.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No imports yet.
                </td>
              </tr>
            )}
            {imports.data?.items.map((i) => (
              <tr key={i.importId ?? i.digest}>
                <td data-label="File">
                  {i.fileName}
                  <div className="muted small">{i.format}</div>
                  {i.rejections.length > 0 && (
                    <details>
                      <summary>{i.rejections.length} errors</summary>
                      <Rejections items={i.rejections} />
                    </details>
                  )}
                </td>
                <td data-label="Digest">
                  <code title={i.digest}>{i.digest.slice(0, 12)}…</code>
                </td>
                <td data-label="Rows" className="num">
                  {i.rowsImported}
                </td>
                <td data-label="Errors" className="num">
                  {i.rowsRejected}
                </td>
                <td data-label="Imported">
                  {formatTime(i.createdAt)}
                  {i.createdBy && <div className="muted small">{i.createdBy}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="card table-card">
        <table className="table">
          <caption>Usage kept aside (customers or subscriptions the platform does not know)</caption>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Subscription</th>
              <th scope="col">Month</th>
              <th scope="col" className="num">
                Lines
              </th>
              <th scope="col" className="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {kept.error && (
              <tr>
                <td colSpan={5}>
                  <Alert kind="error">{kept.error.message}</Alert>
                </td>
              </tr>
            )}
            {kept.data?.items.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  Nothing kept aside.
                </td>
              </tr>
            )}
            {kept.data?.items.map((k) => (
              <tr key={`${k.customerId}-${k.subscriptionId}-${k.month}`}>
                <td data-label="Customer" className="mono">
                  {k.customerId}
                </td>
                <td data-label="Subscription" className="mono">
                  {k.subscriptionId}
                </td>
                <td data-label="Month">{k.month}</td>
                <td data-label="Lines" className="num">
                  {k.lines}
                </td>
                <td data-label="Amount" className="num">
                  {formatMoney(k.amount ?? '0', k.currency ?? 'USD')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function Rejections({ items }: { items: { line?: number; column?: string; message?: string; reason?: string }[] }) {
  return (
    <table className="table compact">
      <caption className="sr-only">Rejected rows</caption>
      <thead>
        <tr>
          <th scope="col">Line</th>
          <th scope="col">Column</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {items.map((r, n) => (
          <tr key={n}>
            <td data-label="Line">{r.line}</td>
            <td data-label="Column">{r.column}</td>
            <td data-label="Error">{r.message ?? r.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
