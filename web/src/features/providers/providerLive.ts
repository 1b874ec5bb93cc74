// Keeps a provider up to date while it is processing: server-sent events from
// /api/v1/providers/{id}/events (an `event: provider` with the Provider JSON), and polling of
// GET /api/v1/providers/{id} when the stream is not available or breaks.
import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Provider } from '../../api/types';

export const POLL_MS = 1500;

export function isFinal(p: Provider | null): boolean {
  return p?.state === 'ready' || p?.state === 'unavailable';
}

export function useLiveProvider(id: string) {
  const [provider, setProvider] = useState<Provider | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [version, setVersion] = useState(0);
  const finalRef = useRef(false);

  useEffect(() => {
    let stopped = false;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    finalRef.current = false;

    const accept = (p: Provider) => {
      if (stopped) return;
      setProvider(p);
      setError(null);
      if (isFinal(p)) finalRef.current = true;
    };

    const poll = async () => {
      if (stopped) return;
      try {
        accept(await api.get<Provider>(`/api/v1/providers/${encodeURIComponent(id)}`));
      } catch (e) {
        if (e instanceof ApiError) {
          setError(e);
          if (e.status === 404 || e.status === 403) return;
        }
      }
      if (!finalRef.current && !stopped) timer = setTimeout(poll, POLL_MS);
    };

    const startPolling = () => {
      source?.close();
      source = null;
      if (!stopped && !finalRef.current) void poll();
    };

    void api
      .get<Provider>(`/api/v1/providers/${encodeURIComponent(id)}`)
      .then((p) => {
        accept(p);
        if (isFinal(p) || stopped) return;
        if (typeof EventSource === 'undefined') return startPolling();
        source = new EventSource(`/api/v1/providers/${encodeURIComponent(id)}/events`);
        source.addEventListener('provider', (ev) => {
          try {
            accept(JSON.parse((ev as MessageEvent<string>).data) as Provider);
          } catch {
            /* a malformed event: the next one or polling brings the state */
          }
          if (finalRef.current) source?.close();
        });
        // A stream that ends or fails: poll until the provider is ready or unavailable.
        source.onerror = () => startPolling();
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError) setError(e);
      });

    return () => {
      stopped = true;
      source?.close();
      if (timer) clearTimeout(timer);
    };
  }, [id, version]);

  return { provider, error, reload: () => setVersion((v) => v + 1), setProvider };
}
