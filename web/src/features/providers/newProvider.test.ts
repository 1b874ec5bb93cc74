import { describe, expect, it } from 'vitest';
import { emptyForm, missingFields, providerRequest, sentence, DEFAULT_DESCRIPTION } from './newProvider';

const complete = () => ({
  ...emptyForm(),
  name: 'Acme Azure',
  connectionId: 'c-1',
  billingAlias: 'ACME',
  acceptCenturyLink: true,
  acceptMicrosoft: true,
  firstName: 'Ada',
  lastName: 'Admin',
  email: 'ada@acme.example',
  phone: '425 555 0101',
});

describe('new provider form', () => {
  it('starts with the description prefilled and everything missing', () => {
    const f = emptyForm();
    expect(f.description).toBe(DEFAULT_DESCRIPTION);
    expect(missingFields(f)).toEqual([
      'a name',
      'a connected CenturyLink Cloud account',
      "acceptance of CenturyLink's terms",
      'acceptance of the Microsoft Customer Agreement',
      'the contact’s first name',
      'the contact’s last name',
      'the contact’s email address',
      'the contact’s phone number',
    ]);
  });
  it('asks for an alias once connected', () => {
    expect(missingFields({ ...complete(), billingAlias: '' })).toEqual(['a billing alias']);
  });
  it('is complete when every field is there', () => {
    expect(missingFields(complete())).toEqual([]);
  });
  it('checks the contact email and phone', () => {
    expect(missingFields({ ...complete(), email: 'ada' })).toEqual(['the contact’s email address']);
    expect(missingFields({ ...complete(), phone: '12' })).toEqual(['the contact’s phone number']);
  });
  it('needs GUIDs and a secret for an existing account', () => {
    const f = { ...emptyForm(), name: 'Own', mode: 'existing-customer' as const, subscriptionId: 'x' };
    expect(missingFields(f)).toEqual([
      'a Subscription ID (a GUID)',
      'a Tenant ID (a GUID)',
      'a Client ID (a GUID)',
      'the secret',
    ]);
  });
  it('builds the new-customer request with the terms and contact', () => {
    const body = providerRequest(complete(), { centurylinkVersion: '2017-01', microsoftTemplateId: 't-1' });
    expect(body).toEqual({
      name: 'Acme Azure',
      description: DEFAULT_DESCRIPTION,
      type: 'azure-resource-manager',
      mode: 'new-customer',
      connectionId: 'c-1',
      billingAlias: 'ACME',
      terms: {
        centurylink: '2017-01',
        microsoft: {
          templateId: 't-1',
          contact: { firstName: 'Ada', lastName: 'Admin', email: 'ada@acme.example', phoneNumber: '425 555 0101' },
        },
      },
    });
  });
  it('builds the existing-customer request', () => {
    const g = '11111111-1111-4111-8111-111111111111';
    const f = { ...emptyForm(), name: 'Own', mode: 'existing-customer' as const, subscriptionId: g, tenantId: g, clientId: g, clientSecret: 's' };
    expect(missingFields(f)).toEqual([]);
    expect(providerRequest(f, null)).toMatchObject({
      mode: 'existing-customer',
      existingAccount: { subscriptionId: g, tenantId: g, clientId: g, clientSecret: 's' },
    });
  });
  it('joins words', () => {
    expect(sentence(['a', 'b', 'c'])).toBe('a, b and c');
  });
});
