import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, ApiError } from '../../api/client';
import type { Items, Job } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, DataTable, Loading, StateBadge, type TableColumn } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { isOperator, useSession } from '../auth/session';


const STATES = ['', 'queued', 'running', 'waiting', 'stopped', 'done'];
const COLUMNS: TableColumn[] = [
  { label: 'Provider' },
  { label: 'Alias' },
  { label: 'State' },
  { label: 'Step' },
  { label: 'Attempts', numeric: true },
  { label: 'Last error' },
  { label: 'Updated' },
  { label: 'Actions', hidden: true },
];

export function JobsPage() {
  const { me } = useSession();
  const [state, setState] = useState('');
  const jobs = useLoad<Items<Job>>(`/api/v1/jobs?limit=200${state ? `&state=${state}` : ''}`);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const canResume = me?.role === 'operator' && isOperator(me);

  async function resume(job: Job) {
    setMessage(null);
    try {
      await api.post(`/api/v1/providers/${encodeURIComponent(job.providerId ?? '')}/resume`);
      setMessage({ kind: 'success', text: `Resumed the onboarding of ${job.providerName ?? 'the provider'}.` });
      jobs.reload();
    } catch (e) {
      setMessage({ kind: 'error', text: e instanceof ApiError ? e.message : 'The job could not be resumed.' });
    }
  }

  return (
    <>
      <PageHeader
        title="Onboarding jobs"
        actions={
          <label className="field field-inline">
            <span>State</span>
            <select value={state} onChange={(e) => setState(e.target.value)}>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s ? s[0]!.toUpperCase() + s.slice(1) : 'All'}
                </option>
              ))}
            </select>
          </label>
        }
      >
        Customers’ new Azure accounts being built, with their step, attempts and last error.
      </PageHeader>
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {jobs.error && <Alert kind="error">{jobs.error.message}</Alert>}
      {!jobs.data && !jobs.error && <Loading />}
      {jobs.data && (
        <DataTable
          caption="Jobs"
          captionHidden
          columns={COLUMNS}
          items={jobs.data.items}
          empty={`No jobs${state ? ` in state “${state}”` : ''}.`}
          row={(j) => (
            <tr key={j.id}>
              <td data-label="Provider">
                {j.providerId ? <Link to={`/providers/${j.providerId}`}>{j.providerName ?? j.providerId}</Link> : <span>{j.kind}</span>}
              </td>
              <td data-label="Alias">{j.billingAlias}</td>
              <td data-label="State">
                <StateBadge state={j.state ?? ''} />
              </td>
              <td data-label="Step">{j.stepTitle ?? j.step}</td>
              <td data-label="Attempts" className="num">
                {j.attempts}
              </td>
              <td data-label="Last error" className="wrap">
                {j.lastError ?? '—'}
              </td>
              <td data-label="Updated">{formatTime(j.updatedAt)}</td>
              <td>
                {canResume && j.state === 'stopped' && j.providerId && (
                  <button type="button" className="btn btn-small" onClick={() => void resume(j)} aria-label={`Resume ${j.providerName ?? 'job'}`}>
                    Resume
                  </button>
                )}
              </td>
            </tr>
          )}
        />
      )}
    </>
  );
}
