import { useState } from 'react';

/** The signing secret of a new endpoint, shown once, with a copy button and a clear warning. */
export function SecretOnce({ secret, url, onDone }: { secret: string; url: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  }
  return (
    <section className="card secret-once" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret for {url}</h2>
      <div className="alert alert-warning" role="status">
        <strong>Shown once.</strong> Copy this secret now and keep it with the receiver: it verifies the{' '}
        <code>webhook-signature</code> header of every delivery. It is never shown again; if it is lost, delete the
        endpoint and add it again.
      </div>
      <label className="field">
        <span>Secret</span>
        <input className="mono" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
      </label>
      <div className="row-actions">
        <button type="button" className="btn" onClick={() => void copy()}>
          Copy secret
        </button>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          I have stored the secret
        </button>
      </div>
      <p className="small muted" role="status" aria-live="polite">
        {copied === 'yes' && 'Copied to the clipboard.'}
        {copied === 'no' && 'The browser did not allow copying: select the secret and copy it by hand.'}
      </p>
    </section>
  );
}
