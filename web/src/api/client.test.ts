import { describe, expect, it } from 'vitest';
import { ApiError, formatWait, loginErrorText, usageFileType } from './client';

describe('loginErrorText', () => {
  it('says the login is wrong on 401', () => {
    expect(loginErrorText(new ApiError(401, 'Unauthenticated', 'x', null))).toBe(
      'The email or password is not right. Check both and try again.',
    );
  });
  it('says how long to wait on 429', () => {
    expect(loginErrorText(new ApiError(429, 'ResourceExhausted', 'x', 90))).toBe(
      'Too many failed attempts. Try again in 1 minute 30 seconds.',
    );
    expect(loginErrorText(new ApiError(429, 'ResourceExhausted', 'x', 1))).toBe(
      'Too many failed attempts. Try again in 1 second.',
    );
  });
  it('passes other API messages through', () => {
    expect(loginErrorText(new ApiError(400, 'InvalidArgument', 'email is required', null))).toBe(
      'email is required',
    );
  });
  it('formats waits', () => {
    expect(formatWait(120)).toBe('2 minutes');
    expect(formatWait(0)).toBe('0 seconds');
  });
});

describe('usageFileType', () => {
  it('names the type the import API expects', () => {
    expect(usageFileType('usage.csv')).toEqual({ contentType: 'text/csv' });
    expect(usageFileType('export.JSONL')).toEqual({ contentType: 'application/x-ndjson' });
    expect(usageFileType('usage.csv.gz')).toEqual({ contentType: 'text/csv', contentEncoding: 'gzip' });
  });
});
