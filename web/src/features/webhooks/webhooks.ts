// Pure helpers of the webhook settings: the new-endpoint form and the delivery log's words.
import type { DeliveryStatus } from './types';

export interface EndpointForm {
  url: string;
  description: string;
  events: string[];
}

export const emptyEndpointForm: EndpointForm = { url: '', description: '', events: [] };

/**
 * What is wrong with the form, as sentences a person can act on (empty: ready to add). Plain
 * http is left to the server, which accepts it only when configured (loopback demos).
 */
export function endpointProblems(f: EndpointForm): string[] {
  const out: string[] = [];
  let url: URL | null = null;
  try {
    url = new URL(f.url.trim());
  } catch {
    url = null;
  }
  if (!f.url.trim()) out.push('Give the address (URL) that receives the events.');
  else if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    out.push('The address must be a full URL, like https://hooks.example.com/partnercloud.');
  } else if (url.username || url.password) {
    out.push('Leave user names and passwords out of the address: every delivery is signed instead.');
  }
  if (f.events.length === 0) out.push('Choose at least one event.');
  return out;
}

/** True for an http:// address (the form warns: production accepts https only). */
export const isPlainHttp = (url: string) => /^http:\/\//i.test(url.trim());

export function endpointBody(f: EndpointForm) {
  return { url: f.url.trim(), description: f.description.trim(), events: f.events };
}

const STATUS_LABELS: Record<DeliveryStatus, string> = {
  pending: 'Pending',
  retrying: 'Retrying',
  delivered: 'Delivered',
  failed: 'Failed',
};
const STATUS_GLYPHS: Record<DeliveryStatus, string> = { pending: '…', retrying: '↻', delivered: '✓', failed: '✕' };
export const deliveryStatusLabel = (s: string) => STATUS_LABELS[s as DeliveryStatus] ?? s;
export const deliveryStatusGlyph = (s: string) => STATUS_GLYPHS[s as DeliveryStatus] ?? '•';

/** "200 OK in 35 ms", "500 after 1200 ms", "no answer: connection refused". */
export function answerText(code: number | null, latencyMs: number | null, error: string | null): string {
  if (code === null) return error ? `No answer: ${error}` : '—';
  const latency = latencyMs === null ? '' : ` in ${latencyMs} ms`;
  return `${code}${latency}${error && (code < 200 || code >= 300) ? ` (${error})` : ''}`;
}
