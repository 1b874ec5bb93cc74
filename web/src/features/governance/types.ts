// Governance types (issue 15): names for the generated OpenAPI types (schema.ts, from
// api/openapi.json): the permitted-services catalog, its versions, per-alias overrides and the
// compliance of each customer subscription.
import type { components, paths } from '../../api/schema';

type Schemas = components['schemas'];
export type CatalogVersion = Schemas['GovernanceVersion'];
// The detail's required resourceTypes and actions (declared on the base schema as optional).
export type CatalogVersionDetail = Schemas['GovernanceVersionDetail'] & { resourceTypes: string[]; actions: string[] };
export type VersionState = CatalogVersion['state'];
export type VersionDiff = CatalogVersionDetail['diff'];
export type ListDiff = VersionDiff['resourceTypes'];
export type AliasOverride = Schemas['GovernanceAlias'];
export type ComplianceItem = Schemas['GovernanceSubscription'];
export type ComplianceDetail = Schemas['GovernanceSubscriptionDetail'];
export type ComplianceState = ComplianceItem['state'];
export type Repair = ComplianceDetail['repairs'][number];
export type PublishedCatalog = Schemas['GovernanceCatalog'];

type Publish = paths['/api/v1/governance/catalog/versions/{n}/publish']['post']['responses'];
export type DryRun = Publish[200]['content']['application/json'];
export type PublishResult = Publish[202]['content']['application/json'];
export type DryRunSubscription = DryRun['subscriptions'][number];
export type DryRunChange = DryRunSubscription['changes'][number];
