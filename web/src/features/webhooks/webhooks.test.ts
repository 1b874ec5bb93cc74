import { describe, expect, it } from 'vitest';
import { answerText, endpointBody, endpointProblems, isPlainHttp } from './webhooks';

describe('new endpoint form', () => {
  it('asks for a URL and at least one event', () => {
    expect(endpointProblems({ url: '', description: '', events: [] })).toEqual([
      'Give the address (URL) that receives the events.',
      'Choose at least one event.',
    ]);
  });
  it('refuses what is not an http(s) URL and credentials in it', () => {
    const events = ['provider.ready'];
    expect(endpointProblems({ url: 'hooks.example.com', description: '', events })).toEqual([
      'The address must be a full URL, like https://hooks.example.com/partnercloud.',
    ]);
    expect(endpointProblems({ url: 'ftp://hooks.example.com/x', description: '', events })).toHaveLength(1);
    expect(endpointProblems({ url: 'https://u:p@hooks.example.com/x', description: '', events })).toEqual([
      'Leave user names and passwords out of the address: every delivery is signed instead.',
    ]);
    expect(endpointProblems({ url: 'https://hooks.example.com/x', description: '', events })).toEqual([]);
  });
  it('leaves plain http to the server but says so', () => {
    expect(endpointProblems({ url: 'http://127.0.0.1:9000/hook', description: '', events: ['webhook.test'] })).toEqual([]);
    expect(isPlainHttp(' http://127.0.0.1:9000/hook')).toBe(true);
    expect(isPlainHttp('https://x.example')).toBe(false);
  });
  it('builds the body', () => {
    expect(endpointBody({ url: ' https://h.example/x ', description: ' CI ', events: ['ticket.updated'] })).toEqual({
      url: 'https://h.example/x',
      description: 'CI',
      events: ['ticket.updated'],
    });
  });
});

describe('delivery log', () => {
  it('says what the receiver answered', () => {
    expect(answerText(200, 35, null)).toBe('200 in 35 ms');
    expect(answerText(500, 1200, 'Internal Server Error')).toBe('500 in 1200 ms (Internal Server Error)');
    expect(answerText(null, null, 'connection refused')).toBe('No answer: connection refused');
    expect(answerText(null, null, null)).toBe('—');
  });
});
