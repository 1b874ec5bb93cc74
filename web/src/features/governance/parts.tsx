// Small pieces shared by the governance pages.
import { NavLink } from 'react-router-dom';
import { changeActionLabel, complianceGlyph, complianceLabel, objectLabel, versionStateLabel } from './governance';
import type { DryRunChange, ListDiff, VersionDiff } from './types';

/** The compliance state as a word with a glyph: readable without colour. */
export function ComplianceBadge({ state }: { state: string }) {
  return (
    <span className={`badge badge-gov-${state}`}>
      <span aria-hidden="true">{complianceGlyph(state)}</span> {complianceLabel(state)}
    </span>
  );
}

export function VersionBadge({ state }: { state: string }) {
  return <span className={`badge badge-version-${state}`}>{versionStateLabel(state)}</span>;
}

/** The governance sub-navigation (operators and agents). */
export function GovernanceTabs() {
  return (
    <nav className="subtabs" aria-label="Governance">
      <NavLink to="/ops/governance/catalog">Catalog</NavLink>
      <NavLink to="/ops/governance/compliance">Compliance</NavLink>
      <NavLink to="/ops/governance/aliases">Exceptions per alias</NavLink>
    </nav>
  );
}

/** Added and removed entries of one list, with + and − so the sign reads without colour. */
export function DiffList({ title, diff }: { title: string; diff: ListDiff }) {
  const none = diff.added.length === 0 && diff.removed.length === 0;
  return (
    <div className="diff">
      <h3>{title}</h3>
      {none && <p className="muted small">No change.</p>}
      {!none && (
        <ul className="diff-list">
          {diff.added.map((x) => (
            <li key={`+${x}`} className="diff-added">
              <span className="diff-sign">+</span> <span className="sr-only">added </span>
              <code>{x}</code>
            </li>
          ))}
          {diff.removed.map((x) => (
            <li key={`-${x}`} className="diff-removed">
              <span className="diff-sign">−</span> <span className="sr-only">removed </span>
              <code>{x}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function VersionDiffView({ diff }: { diff: VersionDiff }) {
  return (
    <div className="grid-2 diff-grid">
      <DiffList title="Resource types" diff={diff.resourceTypes} />
      <DiffList title="Role actions" diff={diff.actions} />
      {diff.unrestricted && diff.unrestricted.from !== diff.unrestricted.to && (
        <p className="diff-switch">
          <strong>Unrestricted:</strong> {diff.unrestricted.from ? 'on' : 'off'} → {diff.unrestricted.to ? 'on' : 'off'}
          {diff.unrestricted.to
            ? ' (the allowed-resource-types policy is removed from every subscription)'
            : ' (the allowed-resource-types policy is assigned again)'}
        </p>
      )}
    </div>
  );
}

export function ChangeText({ change }: { change: DryRunChange }) {
  const parts: string[] = [];
  if (change.added.length) parts.push(`+ ${change.added.join(', ')}`);
  if (change.removed.length) parts.push(`− ${change.removed.join(', ')}`);
  return (
    <div className="change">
      <strong>
        {changeActionLabel(change.action)} {objectLabel(change.object).toLowerCase()}
      </strong>
      {parts.length > 0 && <div className="small mono">{parts.join('; ')}</div>}
    </div>
  );
}
