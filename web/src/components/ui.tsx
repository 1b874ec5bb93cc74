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

/** One column of a DataTable's header. */
export interface TableColumn {
  label: string;
  /** Right-aligned figures (class "num"). */
  numeric?: boolean;
  /** Named for screen readers only (an actions column). */
  hidden?: boolean;
}

/**
 * A table in a card: its caption (hidden but read when `captionHidden`), a header of `columns`,
 * one row per item from `row`, and `empty` in a single row across every column when there is no item.
 */
export function DataTable<T>({
  caption,
  captionHidden = false,
  columns,
  items,
  empty,
  row,
}: {
  caption: ReactNode;
  captionHidden?: boolean;
  columns: readonly TableColumn[];
  items: readonly T[];
  empty: ReactNode;
  row: (item: T, index: number) => ReactNode;
}) {
  return (
    <div className="card table-card">
      <table className="table">
        <caption className={captionHidden ? 'sr-only' : undefined}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.hidden ? <span className="sr-only">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.length === 0 && (
            <tr>
              <td colSpan={columns.length} className="muted">
                {empty}
              </td>
            </tr>
          )}
          {items.map((item, i) => row(item, i))}
        </tbody>
      </table>
    </div>
  );
}
