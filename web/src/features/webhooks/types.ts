// Webhook types (issue 16): field names follow the API contract (/api/v1/webhooks).

export interface Endpoint {
  id: string;
  organizationId: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
}

export interface CreatedEndpoint extends Endpoint {
  secret: string;
}

export interface EventType {
  type: string;
  description: string;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed';

export interface Delivery {
  id: string;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}
