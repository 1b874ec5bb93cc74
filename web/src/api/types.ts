// Names for the generated OpenAPI types (schema.ts, from api/openapi.json by openapi-typescript).
import type { components, paths } from './schema';

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

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type BillingSummary = Json<paths['/api/v1/billing/{alias}']['get']['responses'][200]>;
export type Terms = Json<paths['/api/v1/terms']['get']['responses'][200]>;

export interface Items<T> {
  items: T[];
}
