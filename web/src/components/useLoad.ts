import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api/client';

/** GETs `path` (null: nothing) and keeps the result, the error and a reload function. */
export function useLoad<T>(path: string | null) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!path) return;
    const ac = new AbortController();
    setError(null);
    api
      .get<T>(path, ac.signal)
      .then(setData)
      .catch((e: unknown) => {
        if (e instanceof ApiError) setError(e);
      });
    return () => ac.abort();
  }, [path, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, reload };
}
