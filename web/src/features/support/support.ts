// Pure helpers of the support pages: labels, the queue's query, the new-request form.
import type { PortalUser, RequestKind, Scope, Ticket, TicketStatus } from './types';

export const STATUSES: TicketStatus[] = ['new', 'open', 'waiting-on-customer', 'escalated', 'resolved', 'closed'];
export const SCOPES: Scope[] = ['in', 'out', 'not-customer'];

const STATUS_LABELS: Record<TicketStatus, string> = {
  new: 'New',
  open: 'Open',
  'waiting-on-customer': 'Waiting on customer',
  escalated: 'Escalated to Microsoft',
  resolved: 'Resolved',
  closed: 'Closed',
};
const SCOPE_LABELS: Record<Scope, string> = {
  in: 'In scope',
  out: 'Out of scope',
  'not-customer': 'Not a customer',
};
const KIND_LABELS: Record<RequestKind | 'permit-service', string> = {
  'portal-users': 'portal.azure.com users',
  'close-account': 'Close the Azure account',
  'billing-report': 'Detailed billing report',
  'permit-service': 'Permit one more Azure service',
};
const REQUEST_STATE_LABELS: Record<string, string> = {
  'pending-approval': 'Waiting for approval',
  approved: 'Approved',
  rejected: 'Rejected',
  running: 'Being carried out',
  done: 'Done',
  failed: 'Failed',
};

export const statusLabel = (s: string) => STATUS_LABELS[s as TicketStatus] ?? s;
export const scopeLabel = (s: string) => SCOPE_LABELS[s as Scope] ?? s;
export const kindLabel = (k: string) => KIND_LABELS[k as RequestKind] ?? k;
export const requestStateLabel = (s: string) => REQUEST_STATE_LABELS[s] ?? s;

/** "portal-users" -> "Portal users" when the topic list is not loaded. */
export function topicFallback(id: string): string {
  const words = id.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export interface QueueFilters {
  scope: string;
  topic: string;
  status: string;
  breached: boolean;
  mine: string; // assignee email, '' for everyone
}

export const emptyFilters: QueueFilters = { scope: 'in', topic: '', status: '', breached: false, mine: '' };

/** The GET /api/v1/support/tickets address for the queue's filters. */
export function queuePath(f: QueueFilters, limit = 200): string {
  const q = new URLSearchParams();
  if (f.scope) q.set('scope', f.scope);
  if (f.topic) q.set('topic', f.topic);
  if (f.status) q.set('status', f.status);
  if (f.breached) q.set('breached', 'true');
  if (f.mine) q.set('assignee', f.mine);
  q.set('limit', String(limit));
  return `/api/v1/support/tickets?${q.toString()}`;
}

/** Tickets an operator must decide on. */
export function pendingApprovals(tickets: Ticket[]): Ticket[] {
  return tickets.filter((t) => t.request?.state === 'pending-approval');
}

// ---- the new-request form ---------------------------------------------------------------

export type FormKind = 'question' | RequestKind | 'permit-service';

export interface NewRequestForm {
  kind: FormKind;
  subject: string;
  text: string;
  billingAlias: string;
  users: PortalUser[];
  firstName: string;
  lastName: string;
  company: string;
  reason: string;
  month: string; // YYYY-MM
  resourceType: string; // permit-service: "Microsoft.Sql/servers"
}

export function emptyRequestForm(month: string): NewRequestForm {
  return {
    kind: 'question',
    subject: '',
    text: '',
    billingAlias: '',
    users: [{ firstName: '', lastName: '', email: '' }],
    firstName: '',
    lastName: '',
    company: '',
    reason: '',
    month,
    resourceType: '',
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What is still missing or wrong, as sentences a person can act on (empty: ready to send). */
export function requestProblems(f: NewRequestForm): string[] {
  const out: string[] = [];
  if (f.kind === 'question') {
    if (!f.subject.trim()) out.push('Give the request a subject.');
    if (!f.text.trim()) out.push('Describe what you need.');
    return out;
  }
  if (!f.billingAlias) out.push('Choose the billing alias (Azure account) this is about.');
  if (f.kind === 'portal-users') {
    if (f.users.length === 0) out.push('Add at least one user.');
    f.users.forEach((u, i) => {
      const n = i + 1;
      if (!u.firstName.trim() || !u.lastName.trim()) out.push(`User ${n}: give the first and last name.`);
      if (!EMAIL.test(u.email.trim())) out.push(`User ${n}: give a valid email address.`);
    });
    const emails = f.users.map((u) => u.email.trim().toLowerCase()).filter(Boolean);
    if (new Set(emails).size !== emails.length) out.push('Each user needs a different email address.');
  }
  if (f.kind === 'close-account') {
    if (!f.firstName.trim() || !f.lastName.trim()) out.push('Give your first and last name.');
    if (!f.company.trim()) out.push('Give the company name.');
    if (!f.reason.trim()) out.push('Say why the account is being closed.');
  }
  if (f.kind === 'permit-service' && !/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+\/[A-Za-z0-9]+(\/[A-Za-z0-9]+)*$/.test(f.resourceType.trim())) {
    out.push('Give the Azure resource type, like Microsoft.Sql/servers.');
  }
  if (f.kind === 'billing-report' && !/^\d{4}-(0[1-9]|1[0-2])$/.test(f.month)) {
    out.push('Choose the month of the report.');
  }
  return out;
}

/** The POST /api/v1/support/tickets body for the form. */
export function requestBody(f: NewRequestForm): Record<string, unknown> {
  if (f.kind === 'question') {
    const body: Record<string, unknown> = { subject: f.subject.trim(), text: f.text.trim() };
    if (f.billingAlias) body.billingAlias = f.billingAlias;
    return body;
  }
  const note = f.text.trim();
  if (f.kind === 'portal-users') {
    const users = f.users.map((u) => ({
      firstName: u.firstName.trim(),
      lastName: u.lastName.trim(),
      email: u.email.trim(),
    }));
    return {
      subject: `portal.azure.com users for ${f.billingAlias}`,
      text: note || `Please create these portal.azure.com users: ${users.map((u) => u.email).join(', ')}.`,
      billingAlias: f.billingAlias,
      request: { kind: 'portal-users', users },
    };
  }
  if (f.kind === 'close-account') {
    return {
      subject: `Close the Azure account ${f.billingAlias}`,
      text: note || `Please close the Azure account of ${f.company.trim()}. Reason: ${f.reason.trim()}`,
      billingAlias: f.billingAlias,
      request: {
        kind: 'close-account',
        firstName: f.firstName.trim(),
        lastName: f.lastName.trim(),
        company: f.company.trim(),
        reason: f.reason.trim(),
      },
    };
  }
  if (f.kind === 'permit-service') {
    const type = f.resourceType.trim();
    return {
      subject: `Permit ${type} for ${f.billingAlias}`,
      text: note || `Please permit ${type} in the Azure subscriptions of ${f.billingAlias}.`,
      billingAlias: f.billingAlias,
      request: { kind: 'permit-service', resourceType: type },
    };
  }
  return {
    subject: `Detailed billing report for ${f.billingAlias}, ${f.month}`,
    text: note || `Please send the detailed billing report of ${f.billingAlias} for ${f.month}.`,
    billingAlias: f.billingAlias,
    request: { kind: 'billing-report', month: f.month },
  };
}

/** "12 KB", "1.5 MB": attachment sizes (integers of bytes; display only). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(Math.round((bytes / (1024 * 1024)) * 10) / 10).toString()} MB`;
}
