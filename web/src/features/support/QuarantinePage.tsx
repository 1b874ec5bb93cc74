import { useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Items } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { Alert, DataTable, Loading, type TableColumn } from '../../components/ui';
import { useLoad } from '../../components/useLoad';
import { formatTime } from '../../lib/time';
import { formatSize } from './support';
import type { QuarantinedMail } from './types';

const COLUMNS: TableColumn[] = [
  { label: 'Received' },
  { label: 'Size', numeric: true },
  { label: 'Reason' },
  { label: 'Actions', hidden: true },
];

/** Mail the intake could not parse, kept whole; operators replay it once the cause is fixed. */
export function QuarantinePage() {
  const list = useLoad<Items<QuarantinedMail>>('/api/v1/support/quarantine');
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);

  async function replay(m: QuarantinedMail) {
    setMessage(null);
    try {
      await api.post(`/api/v1/support/quarantine/${encodeURIComponent(m.id)}/replay`);
      setMessage({ kind: 'success', text: `Replayed the message received ${formatTime(m.receivedAt)}.` });
      list.reload();
    } catch (e) {
      setMessage({ kind: 'error', text: e instanceof ApiError ? e.message : 'The message could not be replayed.' });
    }
  }

  return (
    <>
      <PageHeader title="Quarantined mail">
        Messages the support intake could not read. Nothing is dropped: replay one to run it through the intake again.
      </PageHeader>
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {list.error && <Alert kind="error">{list.error.message}</Alert>}
      {!list.data && !list.error && <Loading />}
      {list.data && (
        <DataTable
          caption="Quarantined mail"
          captionHidden
          columns={COLUMNS}
          items={list.data.items}
          empty="No quarantined mail."
          row={(m) => (
            <tr key={m.id}>
              <td data-label="Received">{formatTime(m.receivedAt)}</td>
              <td data-label="Size" className="num">
                {formatSize(m.size)}
              </td>
              <td data-label="Reason" className="wrap">
                {m.reason}
              </td>
              <td>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => void replay(m)}
                  aria-label={`Replay the message received ${formatTime(m.receivedAt)}`}
                >
                  Replay
                </button>
              </td>
            </tr>
          )}
        />
      )}
    </>
  );
}
