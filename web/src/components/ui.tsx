import { cloneElement, useEffect, useId, useRef, type ReactElement, type ReactNode } from 'react';
import { Link } from 'react-router-dom';

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

/** What a Field sets on its control so that the hint and the error are read with it. */
export interface FieldControlProps {
  'aria-describedby'?: string;
  'aria-invalid'?: boolean | 'true' | 'false';
}

const shown = (n: ReactNode) => n !== undefined && n !== null && n !== false && n !== '';

/**
 * A labelled form control: `<label class="field">` holding the label text (a span, with a muted
 * "(required)" when `required`) and the control, its only child (an input, select or textarea),
 * so the label names it. Then the hint and the error, each a `<small class="help">` right after
 * the label and named in the control's aria-describedby (the error also sets aria-invalid).
 * They come back as siblings with no wrapper: in a grid cell, wrap the Field in a <div>.
 */
export function Field({
  label,
  required = false,
  hint,
  hintId,
  error,
  errorId,
  children,
}: {
  label: ReactNode;
  required?: boolean;
  hint?: ReactNode;
  /** The hint's id (generated when not given). */
  hintId?: string;
  /** A problem with this one field, said under it. */
  error?: ReactNode;
  errorId?: string;
  children: ReactElement<FieldControlProps>;
}) {
  const auto = useId();
  const hId = hintId ?? `${auto}-hint`;
  const eId = errorId ?? `${auto}-error`;
  const hasHint = shown(hint);
  const hasError = shown(error);
  const describedBy = [children.props['aria-describedby'], hasHint ? hId : undefined, hasError ? eId : undefined]
    .filter((id): id is string => !!id)
    .join(' ');
  const control = cloneElement(children, {
    ...(describedBy ? { 'aria-describedby': describedBy } : {}),
    ...(hasError ? { 'aria-invalid': true } : {}),
  });
  return (
    <>
      <label className="field">
        <span>
          {label}
          {required && (
            <>
              {' '}
              <span className="req">(required)</span>
            </>
          )}
        </span>
        {control}
      </label>
      {hasHint && (
        <small id={hId} className="muted small help">
          {hint}
        </small>
      )}
      {hasError && (
        <small id={eId} className="small help field-error">
          {error}
        </small>
      )}
    </>
  );
}

/**
 * The buttons closing a form or a dialog: Cancel (a button calling `onCancel`, or a link to
 * `cancelTo`) then the primary one. The primary one submits its form, or calls `onConfirm` when
 * given; while `busy` it says `busyLabel` and is disabled, as it is when `disabled`. `layout`
 * "form" is the bar under a card form (form-actions), "dialog" the one in a dialog (dialog-actions).
 */
export function DialogFooter({
  label,
  busyLabel,
  busy = false,
  disabled = false,
  danger = false,
  onConfirm,
  layout = 'dialog',
  ...cancel
}: {
  label: string;
  busyLabel?: string;
  busy?: boolean;
  disabled?: boolean;
  /** A destructive action: the primary button is red. */
  danger?: boolean;
  onConfirm?: () => void;
  layout?: 'dialog' | 'form';
} & ({ onCancel: () => void; cancelTo?: undefined } | { cancelTo: string; onCancel?: undefined })) {
  return (
    <div className={layout === 'form' ? 'form-actions' : 'dialog-actions'}>
      {cancel.cancelTo !== undefined ? (
        <Link className="btn btn-ghost" to={cancel.cancelTo}>
          Cancel
        </Link>
      ) : (
        <button type="button" className="btn btn-ghost" onClick={cancel.onCancel}>
          Cancel
        </button>
      )}
      <button
        type={onConfirm ? 'button' : 'submit'}
        className={danger ? 'btn btn-danger' : 'btn btn-primary'}
        onClick={onConfirm}
        disabled={busy || disabled}
      >
        {busy && busyLabel ? busyLabel : label}
      </button>
    </div>
  );
}
