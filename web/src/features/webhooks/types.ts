// Webhook types (issue 16): names for the generated OpenAPI types (schema.ts, from
// api/openapi.json).
import type { components } from '../../api/schema';

type Schemas = components['schemas'];
export type Endpoint = Schemas['WebhookEndpoint'];
export type CreatedEndpoint = Schemas['WebhookEndpointWithSecret'];
export type EventType = Schemas['WebhookEventType'];
export type Delivery = Schemas['WebhookDelivery'];
export type DeliveryStatus = Delivery['status'];
