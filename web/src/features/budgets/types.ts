// Budget types (issue 16): names for the generated OpenAPI types (schema.ts, from
// api/openapi.json). Money and percentages are decimal strings.
import type { components } from '../../api/schema';

type Schemas = components['schemas'];
export type Budget = Schemas['Budget'];
export type BudgetStatus = Schemas['BudgetStatus'];
export type BudgetAlert = Schemas['BudgetAlert'];
export type Threshold = Schemas['BudgetThreshold'];
export type ThresholdKind = Threshold['kind'];
export type BudgetInput = Schemas['BudgetInput'];
export type BudgetChanges = Schemas['BudgetChanges'];
