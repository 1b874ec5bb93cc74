// The browser's only way to the API: same-origin fetch with the HttpOnly session cookie.
// Writes carry the X-CSRF-Token returned at login. The CSRF token is kept in sessionStorage
// (this tab only, gone when it closes) so a reload keeps working; the session token itself
// is never readable by scripts and nothing is written to localStorage.

const CSRF_KEY = 'partnercloud.csrf';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait, from Retry-After (429). */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function setCsrfToken(token: string | null): void {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

export function csrfToken(): string | null {
  return sessionStorage.getItem(CSRF_KEY);
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** A raw body (file upload) instead of JSON. */
  raw?: Blob | string;
  contentType?: string;
  contentEncoding?: string;
  signal?: AbortSignal;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `Http${res.status}`;
  let message = `The server answered ${res.status} ${res.statusText}.`;
  try {
    const body: unknown = await res.json();
    if (body && typeof body === 'object' && 'error' in body) {
      const e = (body as { error: { code?: unknown; message?: unknown } }).error;
      if (typeof e.code === 'string') code = e.code;
      if (typeof e.message === 'string') message = e.message;
    }
  } catch {
    // not JSON: keep the generic message
  }
  const ra = res.headers.get('Retry-After');
  const retryAfter = ra !== null && /^\d+$/.test(ra) ? Number(ra) : null;
  return new ApiError(res.status, code, message, retryAfter);
}

/** Sends a request; resolves with the parsed JSON (undefined for 204), rejects with ApiError. */
export async function request<T>(
  method: Method,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (options.raw !== undefined) {
    payload = options.raw;
    headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
    if (options.contentEncoding) headers['Content-Encoding'] = options.contentEncoding;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET') {
    const csrf = csrfToken();
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Network', 'The server cannot be reached. Check your connection and try again.', null);
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('Content-Type') ?? '';
  if (type.includes('application/json')) return (await res.json()) as T;
  return (await res.text()) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, { signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T = void>(path: string) => request<T>('DELETE', path),
  upload: <T>(path: string, file: Blob, contentType: string, contentEncoding?: string) =>
    request<T>('POST', path, undefined, { raw: file, contentType, contentEncoding }),
};

/** Words for a failed login: 401 and 429 (with the wait) in plain language. */
export function loginErrorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 401) return 'The email or password is not right. Check both and try again.';
    if (e.status === 429) {
      const wait = e.retryAfter;
      if (wait === null) return 'Too many failed attempts. Wait a while, then try again.';
      return `Too many failed attempts. Try again in ${formatWait(wait)}.`;
    }
    return e.message;
  }
  return 'Something went wrong. Try again.';
}

/** "45 seconds", "1 minute", "2 minutes 5 seconds". */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  const r = s % 60;
  const part = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (m === 0) return part(r, 'second');
  if (r === 0) return part(m, 'minute');
  return `${part(m, 'minute')} ${part(r, 'second')}`;
}

/** The Content-Type (and Content-Encoding) the usage import API expects for a file name. */
export function usageFileType(name: string): { contentType: string; contentEncoding?: string } {
  const lower = name.toLowerCase();
  const gz = lower.endsWith('.gz');
  const base = gz ? lower.slice(0, -3) : lower;
  const contentType = /\.(jsonl|ndjson|json)$/.test(base) ? 'application/x-ndjson' : 'text/csv';
  return gz ? { contentType, contentEncoding: 'gzip' } : { contentType };
}
