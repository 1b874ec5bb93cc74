// Names for the generated OpenAPI types (schema.ts, from api/openapi.json by openapi-typescript).
import type { components } from './schema';

type Schemas = components['schemas'];
export type User = Schemas['User'];
export type Organization = Schemas['Organization'];
export type Me = Schemas['Me'];
export type LoginResult = Schemas['LoginResult'];
export type Provider = Schemas['Provider'];
export type ProviderStep = NonNullable<Provider['steps']>[number];
export type ClcConnection = Schemas['ClcConnection'];
export type BillingAliasChoice = NonNullable<ClcConnection['billingAliases']>[number];
export type AuditEntry = Schemas['AuditEntry'];
export type UsageImport = Schemas['UsageImport'];
export type UsageImportRecord = Schemas['UsageImportRecord'];
export type KeptAsideUsage = Schemas['KeptAsideUsage'];
export type Terms = Schemas['Terms'];
export type Job = Schemas['Job'];
export type BillingSummary = Schemas['BillingSummary'];
export type DailyCharge = Schemas['DailyCharge'];
export type InvoiceLine = Schemas['InvoiceLine'];
export type ClosedInvoiceLine = Schemas['ClosedInvoiceLine'];
export type BillingAliasEntry = Schemas['BillingAliasEntry'];
export type PricingRule = Schemas['PricingRule'];

export interface Items<T> {
  items: T[];
}
