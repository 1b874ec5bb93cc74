import { useEffect, useRef, type ReactNode } from 'react';

export function Alert({ kind, children }: { kind: 'error' | 'info' | 'success' | 'warning'; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

const STATE_LABELS: Record<string, string> = {
  processing: 'Processing',
  ready: 'Ready',
  unavailable: 'Unavailable',
  pending: 'Pending',
  running: 'In progress',
  done: 'Done',
  failed: 'Failed',
  queued: 'Queued',
  waiting: 'Waiting',
  stopped: 'Stopped',
  posted: 'Posted',
};

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge badge-${state}`}>{STATE_LABELS[state] ?? state}</span>;
}

/** A modal dialog (native <dialog>): focus stays inside, Escape closes, labelled by its title. */
export function Dialog({
  open,
  title,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal?.();
      d.querySelector<HTMLElement>('input, select, textarea')?.focus();
    }
    if (!open && d.open) d.close?.();
  }, [open]);
  const titleId = `dialog-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <div className="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="btn btn-ghost btn-icon" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </div>
          {children}
        </>
      )}
    </dialog>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}
