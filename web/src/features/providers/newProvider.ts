// The new-provider form's state, what is still missing before Save, and the request it sends.

export type ProviderMode = 'new-customer' | 'existing-customer';

export const DEFAULT_DESCRIPTION = 'Manage Microsoft services using Azure Resource Manager';

export interface NewProviderForm {
  name: string;
  description: string;
  mode: ProviderMode;
  // new customer account
  connectionId: string | null;
  billingAlias: string;
  acceptCenturyLink: boolean;
  acceptMicrosoft: boolean;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  // existing customer account
  subscriptionId: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export function emptyForm(): NewProviderForm {
  return {
    name: '',
    description: DEFAULT_DESCRIPTION,
    mode: 'new-customer',
    connectionId: null,
    billingAlias: '',
    acceptCenturyLink: false,
    acceptMicrosoft: false,
    firstName: '',
    lastName: '',
    email: '',
    phone: '',
    subscriptionId: '',
    tenantId: '',
    clientId: '',
    clientSecret: '',
  };
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ()\-.]{7,20}$/;

/** What stops Save, in the order of the form, in words; empty when the form is complete. */
export function missingFields(f: NewProviderForm): string[] {
  const out: string[] = [];
  if (!f.name.trim()) out.push('a name');
  if (f.mode === 'existing-customer') {
    if (!GUID.test(f.subscriptionId.trim())) out.push('a Subscription ID (a GUID)');
    if (!GUID.test(f.tenantId.trim())) out.push('a Tenant ID (a GUID)');
    if (!GUID.test(f.clientId.trim())) out.push('a Client ID (a GUID)');
    if (!f.clientSecret) out.push('the secret');
    return out;
  }
  if (!f.connectionId) out.push('a connected CenturyLink Cloud account');
  else if (!f.billingAlias) out.push('a billing alias');
  if (!f.acceptCenturyLink) out.push("acceptance of CenturyLink's terms");
  if (!f.acceptMicrosoft) out.push('acceptance of the Microsoft Customer Agreement');
  if (!f.firstName.trim()) out.push('the contact’s first name');
  if (!f.lastName.trim()) out.push('the contact’s last name');
  if (!EMAIL.test(f.email.trim())) out.push('the contact’s email address');
  if (!PHONE.test(f.phone.trim())) out.push('the contact’s phone number');
  return out;
}

export interface TermsVersions {
  centurylinkVersion: string;
  microsoftTemplateId: string;
}

/** The body of POST /api/v1/providers for a complete form. */
export function providerRequest(f: NewProviderForm, terms: TermsVersions | null): Record<string, unknown> {
  const base = {
    name: f.name.trim(),
    description: f.description.trim(),
    type: 'azure-resource-manager',
    mode: f.mode,
  };
  if (f.mode === 'existing-customer') {
    return {
      ...base,
      existingAccount: {
        subscriptionId: f.subscriptionId.trim(),
        tenantId: f.tenantId.trim(),
        clientId: f.clientId.trim(),
        clientSecret: f.clientSecret,
      },
    };
  }
  return {
    ...base,
    connectionId: f.connectionId,
    billingAlias: f.billingAlias,
    terms: {
      centurylink: terms?.centurylinkVersion ?? '',
      microsoft: {
        templateId: terms?.microsoftTemplateId ?? '',
        contact: {
          firstName: f.firstName.trim(),
          lastName: f.lastName.trim(),
          email: f.email.trim(),
          phoneNumber: f.phone.trim(),
        },
      },
    },
  };
}

/** "Ready", "Processing", ... for the list and the page. */
export function sentence(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
