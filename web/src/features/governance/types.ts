// Governance types (issue 15): the permitted-services catalog, its versions, per-alias
// overrides and the compliance of each customer subscription. Field names follow the API
// contract (/api/v1/governance); see api/openapi.json.

export type VersionState = 'draft' | 'published' | 'superseded';
export type ComplianceState = 'compliant' | 'converging' | 'drifted' | 'failed';

export interface CatalogVersion {
  version: number;
  state: VersionState;
  author: string;
  createdAt: string;
  publishedAt: string | null;
  publishedBy: string | null;
  note: string;
  unrestricted: boolean;
  basedOn: number | null;
}

export interface ListDiff {
  added: string[];
  removed: string[];
}

export interface VersionDiff {
  resourceTypes: ListDiff;
  actions: ListDiff;
  unrestricted: { from: boolean; to: boolean } | null;
}

export interface CatalogVersionDetail extends CatalogVersion {
  resourceTypes: string[];
  actions: string[];
  diff: VersionDiff | null;
}

export interface DryRunChange {
  object: string; // role-definition | policy-assignment
  action: string; // update | create | delete
  added: string[];
  removed: string[];
}

export interface DryRunSubscription {
  subscriptionId: string;
  alias: string;
  organizationName: string;
  changes: DryRunChange[];
}

export interface DryRun {
  version: number;
  subscriptions: DryRunSubscription[];
}

export interface PublishResult {
  version: number;
  subscriptions: number;
}

export interface AliasOverride {
  alias: string;
  unrestricted: boolean;
  extraResourceTypes: string[];
  note: string;
  updatedAt: string | null;
  updatedBy: string | null;
  effective: { version: number; unrestricted: boolean; resourceTypes: string[] };
}

export interface ComplianceItem {
  subscriptionId: string;
  alias: string;
  organizationName: string;
  desiredVersion: number;
  appliedVersion: number | null;
  state: ComplianceState;
  reason: string | null;
  lastCheckedAt: string | null;
  unrestricted: boolean;
}

export interface Repair {
  at: string;
  object: string;
  what: string;
}

export interface ComplianceDetail extends ComplianceItem {
  permittedResourceTypes: string[];
  notPermittedResources: { id: string; type: string }[];
  repairs: Repair[];
}

export interface PublishedCatalog {
  version: number;
  unrestricted: boolean;
  categories: { name: string; items: { name: string; resourceTypes: string[] }[] }[];
}
