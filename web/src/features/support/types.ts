// Support desk types (the contract of /api/v1/support, see api/openapi.json). Written by hand
// until the server's schema lands; then these become aliases of the generated ones.

export type Scope = 'in' | 'out' | 'not-customer';
export type TicketStatus = 'new' | 'open' | 'waiting-on-customer' | 'escalated' | 'resolved' | 'closed';
export type RequestKind = 'portal-users' | 'close-account' | 'billing-report';
export type RequestState = 'pending-approval' | 'approved' | 'rejected' | 'running' | 'done' | 'failed';

export interface Attachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

export interface Message {
  id: string;
  kind: 'in' | 'out' | 'note' | 'event';
  from: string;
  at: string;
  text: string;
  html?: string | null;
  attachments: Attachment[];
}

export interface StructuredRequest {
  kind: RequestKind;
  state: RequestState;
  details: Record<string, unknown>;
  decidedBy?: string | null;
  result?: Record<string, unknown> | null;
}

export interface Ticket {
  id: string;
  number: number;
  subject: string;
  scope: Scope;
  topic: string;
  status: TicketStatus;
  requester: { email: string; name?: string | null };
  organizationId: string | null;
  organizationName?: string | null;
  billingAlias?: string | null;
  assignee?: string | null;
  classification?: {
    by: 'rule' | 'model' | 'agent';
    reason: string;
    confidence?: string | null;
    needsReview: boolean;
  } | null;
  createdAt: string;
  updatedAt: string;
  firstResponseAt?: string | null;
  resolvedAt?: string | null;
  sla?: {
    firstResponseDueAt?: string | null;
    resolutionDueAt?: string | null;
    breached: boolean;
    paused: boolean;
  } | null;
  request?: StructuredRequest | null;
  escalation?: { serviceRequestId: string; status: string; updatedAt: string } | null;
  messages?: Message[];
}

export interface Topic {
  id: string;
  title: string;
  scope: 'in' | 'out';
  tier: 'tier1' | 'microsoft' | 'platform';
}

export interface QuarantinedMail {
  id: string;
  receivedAt: string;
  size: number;
  reason: string;
}

/** One portal.azure.com user the customer asks for. */
export interface PortalUser {
  firstName: string;
  lastName: string;
  email: string;
}

/** A temporary password, shown once to the requester. */
export interface PortalCredential {
  userPrincipalName: string;
  displayName: string;
  temporaryPassword: string;
}
