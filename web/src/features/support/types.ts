// Support desk types: names for the generated OpenAPI types (schema.ts, from api/openapi.json).
import type { components } from '../../api/schema';

type Schemas = components['schemas'];
export type Ticket = Schemas['SupportTicket'];
export type Message = Schemas['SupportMessage'];
export type Attachment = Schemas['SupportAttachment'];
export type Topic = Schemas['SupportTopic'];
export type QuarantinedMail = Schemas['SupportQuarantined'];
export type PortalCredential = Schemas['PortalCredential'];
export type StructuredRequest = NonNullable<Ticket['request']>;

export type Scope = Ticket['scope'];
export type TicketStatus = Ticket['status'];
export type RequestKind = StructuredRequest['kind'];
export type RequestState = StructuredRequest['state'];

/** One portal.azure.com user the customer asks for (the request's details.users[]). */
export interface PortalUser {
  firstName: string;
  lastName: string;
  email: string;
}
