import { useEffect, useRef, useState, type FormEvent } from 'react';
import { formFromVersion, listDiff, missingActions, parseList, versionBody, versionProblems, type VersionForm } from './governance';
import { DialogFooter, Field } from '../../components/ui';
import { VersionDiffView } from './parts';
import type { CatalogVersionDetail } from './types';

/**
 * The editor of a new catalog version based on `base`: resource types and role actions one per
 * line, the unrestricted switch, a note; the diff against the base as the operator types.
 * `onSave` gets the POST body; it throws (with a message) when the server refuses.
 */
export function VersionEditor({
  base,
  onSave,
  onCancel,
}: {
  base: CatalogVersionDetail;
  onSave: (body: ReturnType<typeof versionBody>) => Promise<void>;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<VersionForm>(() => formFromVersion(base));
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);
  const problems = versionProblems(form, base);
  const missing = missingActions(form, base);
  const set = <K extends keyof VersionForm>(k: K, v: VersionForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const diff = {
    resourceTypes: listDiff(base.resourceTypes, parseList(form.resourceTypes)),
    actions: listDiff(base.actions, parseList(form.actions)),
    unrestricted: { from: base.unrestricted, to: form.unrestricted },
  };

  useEffect(() => {
    if (error || (tried && problems.length)) errorRef.current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [error, tried]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (problems.length) return;
    setSaving(true);
    setError(null);
    try {
      await onSave(versionBody(form));
    } catch (err) {
      setError(err instanceof Error ? err.message : 'The version could not be saved. Try again.');
      setSaving(false);
    }
  }

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label={`New version based on version ${base.version}`}>
      {(error || (tried && problems.length > 0)) && (
        <div className="alert alert-error" role="alert" tabIndex={-1} ref={errorRef}>
          {error ?? (
            <ul>
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <section className="form-section">
        <p className="muted">
          Based on version {base.version}. Saving makes a draft: nothing changes in Azure until you preview and publish it.
        </p>
        <div className="grid-2">
          <div>
            <Field
              label="Permitted resource types (one per line)"
              hintId="types-help"
              hint="Namespace/type as in Azure, e.g. Microsoft.Sql/servers."
            >
              <textarea
                rows={12}
                className="mono"
                value={form.resourceTypes}
                onChange={(e) => set('resourceTypes', e.target.value)}
                spellCheck={false}
              />
            </Field>
          </div>
          <div>
            <Field
              label="Role actions (one per line)"
              hintId="actions-help"
              hint="The platform’s custom role in each subscription, e.g. Microsoft.Sql/servers/*."
            >
              <textarea
                rows={12}
                className="mono"
                value={form.actions}
                onChange={(e) => set('actions', e.target.value)}
                spellCheck={false}
              />
            </Field>
          </div>
        </div>
        {missing.length > 0 && (
          <div className="alert alert-warning" role="status">
            The new resource types have no matching role action yet: {missing.join(', ')}.{' '}
            <button
              type="button"
              className="btn btn-small"
              onClick={() => set('actions', [...parseList(form.actions), ...missing].join('\n'))}
            >
              Add the matching actions
            </button>
          </div>
        )}
        <label className="check">
          <input type="checkbox" checked={form.unrestricted} onChange={(e) => set('unrestricted', e.target.checked)} />
          <span>
            Unrestricted: every resource type is permitted (the allowed-resource-types policy is removed from every
            subscription)
          </span>
        </label>
        <Field label="Note" required>
          <input value={form.note} onChange={(e) => set('note', e.target.value)} maxLength={500} placeholder="What changes and why" />
        </Field>
      </section>
      <section className="form-section">
        <h2>Changes against version {base.version}</h2>
        <VersionDiffView diff={diff} />
      </section>
      <DialogFooter layout="form" label="Save draft" busyLabel="Saving…" busy={saving} onCancel={onCancel} />
    </form>
  );
}
