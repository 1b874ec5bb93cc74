import { describe, expect, it } from 'vitest';
import {
  compliancePath,
  countByState,
  formFromVersion,
  listDiff,
  missingActions,
  parseList,
  requestServicePath,
  versionBody,
  versionProblems,
} from './governance';
import type { CatalogVersionDetail } from './types';

const v1: CatalogVersionDetail = {
  version: 1,
  state: 'published',
  author: 'system',
  createdAt: '2026-11-01T00:00:00Z',
  publishedAt: '2026-11-01T00:00:00Z',
  publishedBy: 'system',
  note: 'The shipped catalog',
  unrestricted: false,
  basedOn: null,
  resourceTypes: ['Microsoft.Compute/virtualMachines', 'Microsoft.Storage/storageAccounts'],
  actions: ['Microsoft.Compute/*', 'Microsoft.Storage/storageAccounts/*'],
  diff: { resourceTypes: { added: [], removed: [] }, actions: { added: [], removed: [] }, unrestricted: null },
};

describe('lists', () => {
  it('parses one entry per line or comma, without blanks or repeats', () => {
    expect(parseList(' a/b \n\nc/d, a/B\n')).toEqual(['a/b', 'c/d']);
  });
  it('diffs case-insensitively, as ARM compares types', () => {
    expect(listDiff(['A/x', 'B/y'], ['b/Y', 'C/z'])).toEqual({ added: ['C/z'], removed: ['A/x'] });
  });
});

describe('the new-version editor', () => {
  it('starts from the base version with an empty note', () => {
    const f = formFromVersion(v1);
    expect(f.basedOn).toBe(1);
    expect(f.resourceTypes).toBe('Microsoft.Compute/virtualMachines\nMicrosoft.Storage/storageAccounts');
    expect(versionProblems(f, v1)).toEqual([
      'Say in the note what this version changes and why.',
      'This version is the same as the one it is based on: change something first.',
    ]);
  });

  it('adds Microsoft.Sql/servers with its role action and builds the body', () => {
    const f = { ...formFromVersion(v1), note: 'Customers asked for SQL' };
    f.resourceTypes += '\nMicrosoft.Sql/servers';
    expect(missingActions(f, v1)).toEqual(['Microsoft.Sql/servers/*']);
    f.actions += '\nMicrosoft.Sql/servers/*';
    expect(missingActions(f, v1)).toEqual([]);
    expect(versionProblems(f, v1)).toEqual([]);
    expect(versionBody(f)).toEqual({
      basedOn: 1,
      resourceTypes: ['Microsoft.Compute/virtualMachines', 'Microsoft.Storage/storageAccounts', 'Microsoft.Sql/servers'],
      actions: ['Microsoft.Compute/*', 'Microsoft.Storage/storageAccounts/*', 'Microsoft.Sql/servers/*'],
      unrestricted: false,
      note: 'Customers asked for SQL',
    });
  });

  it('knows a namespace wildcard already covers a new type', () => {
    const f = { ...formFromVersion(v1), resourceTypes: `${formFromVersion(v1).resourceTypes}\nMicrosoft.Compute/disks` };
    expect(missingActions(f, v1)).toEqual([]);
  });

  it('names malformed types and actions, and an empty restricted catalog', () => {
    const f = { ...formFromVersion(v1), resourceTypes: 'sql servers', actions: 'Microsoft.Sql servers', note: 'x' };
    expect(versionProblems(f, v1)).toEqual([
      'Not a resource type (Namespace/type, like Microsoft.Sql/servers): sql servers.',
      'Not a role action (like Microsoft.Sql/servers/*): Microsoft.Sql servers.',
    ]);
    expect(versionProblems({ ...f, resourceTypes: '', actions: '' }, v1)).toContain('Permit at least one resource type, or switch to unrestricted.');
    expect(versionProblems({ ...f, resourceTypes: '', actions: '', unrestricted: true }, v1)).toEqual([]);
  });
});

describe('compliance', () => {
  it('asks only for the filters that are set', () => {
    expect(compliancePath('', '')).toBe('/api/v1/governance/subscriptions');
    expect(compliancePath(' acme ', 'drifted')).toBe('/api/v1/governance/subscriptions?alias=ACME&state=drifted');
  });
  it('counts per state in a fixed order', () => {
    expect(countByState([{ state: 'drifted' }, { state: 'compliant' }, { state: 'drifted' }])).toEqual([
      { state: 'compliant', count: 1 },
      { state: 'converging', count: 0 },
      { state: 'drifted', count: 2 },
      { state: 'failed', count: 0 },
    ]);
  });
  it('links the support form prefilled for one more service', () => {
    expect(requestServicePath('ACME', 'Microsoft.Sql/servers')).toBe('/support/new?kind=permit-service&alias=ACME&resourceType=Microsoft.Sql%2Fservers');
    expect(requestServicePath()).toBe('/support/new?kind=permit-service');
  });
});
