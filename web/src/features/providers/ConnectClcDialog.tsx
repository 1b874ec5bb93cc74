import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import type { ClcConnection } from '../../api/types';
import { Dialog } from '../../components/ui';

/**
 * "Connect a CenturyLink Cloud Account": the Account Administrator's CLC login, used once by
 * the server. CLC's refusals (bad login, not an account administrator, not billable, outside
 * the territory) are shown at the top of the dialog in the server's words; it stays open.
 */
export function ConnectClcDialog({
  open,
  onClose,
  onConnected,
}: {
  open: boolean;
  onClose: () => void;
  onConnected: (c: ClcConnection) => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function connect(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const c = await api.post<ClcConnection>('/api/v1/clc/connections', { username: username.trim(), password });
      setPassword('');
      onConnected(c);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'CenturyLink Cloud could not be reached. Try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} title="Connect a CenturyLink Cloud Account" onClose={onClose}>
      <form onSubmit={connect} className="dialog-body">
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <p className="muted">
          Enter the login of a CenturyLink Cloud Account Administrator. The password is used once to
          sign in to CenturyLink Cloud and is never stored.
        </p>
        <label className="field">
          <span>Username</span>
          <input autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </label>
        <label className="field">
          <span>Password</span>
          <input type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !username.trim() || !password}>
            {busy ? 'Connecting…' : 'Connect'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
