// Pure helpers of the governance pages: labels, the version editor's form and its diff.
import type { CatalogVersionDetail, ComplianceState, ListDiff } from './types';

export const COMPLIANCE_STATES: ComplianceState[] = ['compliant', 'converging', 'drifted', 'failed'];

const COMPLIANCE_LABELS: Record<ComplianceState, string> = {
  compliant: 'Compliant',
  converging: 'Converging',
  drifted: 'Drifted',
  failed: 'Failed',
};
// A glyph beside the word, so the state reads without colour (and without the word's length).
const COMPLIANCE_GLYPHS: Record<ComplianceState, string> = {
  compliant: '✓',
  converging: '↻',
  drifted: '!',
  failed: '✕',
};
const VERSION_LABELS: Record<string, string> = {
  draft: 'Draft',
  published: 'Published',
  superseded: 'Superseded',
};
const OBJECT_LABELS: Record<string, string> = {
  'role-definition': 'Custom role (actions)',
  'policy-assignment': 'Allowed resource types policy',
};
const ACTION_LABELS: Record<string, string> = { update: 'Update', create: 'Create', delete: 'Remove' };

export const complianceLabel = (s: string) => COMPLIANCE_LABELS[s as ComplianceState] ?? s;
export const complianceGlyph = (s: string) => COMPLIANCE_GLYPHS[s as ComplianceState] ?? '•';
export const versionStateLabel = (s: string) => VERSION_LABELS[s] ?? s;
export const objectLabel = (s: string) => OBJECT_LABELS[s] ?? s;
export const changeActionLabel = (s: string) => ACTION_LABELS[s] ?? s;

/** One entry per line (or comma), trimmed, blanks and repeats dropped, order kept. */
export function parseList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const t = raw.trim();
    if (t && !out.some((o) => o.toLowerCase() === t.toLowerCase())) out.push(t);
  }
  return out;
}

/** What `after` adds to and removes from `before` (case-insensitive, as ARM compares types). */
export function listDiff(before: string[], after: string[]): ListDiff {
  const lower = (xs: string[]) => new Set(xs.map((x) => x.toLowerCase()));
  const b = lower(before);
  const a = lower(after);
  return {
    added: after.filter((x) => !b.has(x.toLowerCase())),
    removed: before.filter((x) => !a.has(x.toLowerCase())),
  };
}

export const isEmptyDiff = (d: ListDiff) => d.added.length === 0 && d.removed.length === 0;

// ---- the new-version editor ------------------------------------------------------------

export interface VersionForm {
  basedOn: number;
  resourceTypes: string; // one per line
  actions: string; // one per line
  unrestricted: boolean;
  note: string;
}

export function formFromVersion(v: CatalogVersionDetail): VersionForm {
  return {
    basedOn: v.version,
    resourceTypes: v.resourceTypes.join('\n'),
    actions: v.actions.join('\n'),
    unrestricted: v.unrestricted,
    note: '',
  };
}

// "Microsoft.Sql/servers", "Microsoft.Sql/servers/databases"
const RESOURCE_TYPE = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+\/[A-Za-z0-9]+(\/[A-Za-z0-9]+)*$/;
// "Microsoft.Sql/servers/*", "Microsoft.Resources/subscriptions/resourceGroups/read", "*/read"
const ACTION = /^(\*|[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+)(\/[A-Za-z0-9*]+)+$/;

/** What is wrong with the form, as sentences a person can act on (empty: ready to save). */
export function versionProblems(f: VersionForm, base?: CatalogVersionDetail | null): string[] {
  const out: string[] = [];
  const types = parseList(f.resourceTypes);
  const actions = parseList(f.actions);
  const badTypes = types.filter((t) => !RESOURCE_TYPE.test(t));
  const badActions = actions.filter((a) => !ACTION.test(a));
  if (badTypes.length) out.push(`Not a resource type (Namespace/type, like Microsoft.Sql/servers): ${badTypes.join(', ')}.`);
  if (badActions.length) out.push(`Not a role action (like Microsoft.Sql/servers/*): ${badActions.join(', ')}.`);
  if (!f.unrestricted && types.length === 0) out.push('Permit at least one resource type, or switch to unrestricted.');
  if (!f.note.trim()) out.push('Say in the note what this version changes and why.');
  if (base && !versionChanges(f, base)) out.push('This version is the same as the one it is based on: change something first.');
  return out;
}

/** True when the form differs from its base version. */
export function versionChanges(f: VersionForm, base: CatalogVersionDetail): boolean {
  return (
    f.unrestricted !== base.unrestricted ||
    !isEmptyDiff(listDiff(base.resourceTypes, parseList(f.resourceTypes))) ||
    !isEmptyDiff(listDiff(base.actions, parseList(f.actions)))
  );
}

/** The POST /api/v1/governance/catalog/versions body. */
export function versionBody(f: VersionForm) {
  return {
    basedOn: f.basedOn,
    resourceTypes: parseList(f.resourceTypes),
    actions: parseList(f.actions),
    unrestricted: f.unrestricted,
    note: f.note.trim(),
  };
}

/**
 * The role actions a newly permitted resource type needs ("Microsoft.Sql/servers" ->
 * "Microsoft.Sql/servers/*") that the actions list does not cover yet.
 */
export function missingActions(f: VersionForm, base: CatalogVersionDetail | null): string[] {
  const added = base ? listDiff(base.resourceTypes, parseList(f.resourceTypes)).added : parseList(f.resourceTypes);
  const actions = parseList(f.actions).map((a) => a.toLowerCase());
  return added
    .filter((t) => RESOURCE_TYPE.test(t))
    .map((t) => `${t}/*`)
    .filter((a) => !actions.some((x) => x === a.toLowerCase() || covers(x, a.toLowerCase())));
}

/** "microsoft.sql/*" covers "microsoft.sql/servers/*". */
function covers(pattern: string, action: string): boolean {
  if (!pattern.endsWith('/*')) return false;
  return action.startsWith(pattern.slice(0, -1));
}

/** The addresses of the compliance list for its filters. */
export function compliancePath(alias: string, state: string): string {
  const q = new URLSearchParams();
  if (alias.trim()) q.set('alias', alias.trim().toUpperCase());
  if (state) q.set('state', state);
  const s = q.toString();
  return `/api/v1/governance/subscriptions${s ? `?${s}` : ''}`;
}

/** How many subscriptions are in each state, in the order of COMPLIANCE_STATES. */
export function countByState(items: { state: string }[]): { state: ComplianceState; count: number }[] {
  return COMPLIANCE_STATES.map((state) => ({ state, count: items.filter((i) => i.state === state).length }));
}

/** The support form's address for asking one more service, prefilled. */
export function requestServicePath(alias?: string, resourceType?: string): string {
  const q = new URLSearchParams({ kind: 'permit-service' });
  if (alias) q.set('alias', alias);
  if (resourceType) q.set('resourceType', resourceType);
  return `/support/new?${q.toString()}`;
}
