import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, csrfToken, setCsrfToken, ApiError } from '../../api/client';
import type { LoginResult, Me } from '../../api/types';

export interface Session {
  me: Me | null;
  loading: boolean;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function isOperator(me: Me | null): boolean {
  return me?.role === 'operator' || me?.role === 'support_agent';
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    // A session cookie without this tab's CSRF token cannot write: ask to log in again.
    if (!csrfToken()) {
      setLoading(false);
      return;
    }
    api
      .get<Me>('/api/v1/me')
      .then(setMe)
      .catch(() => setCsrfToken(null))
      .finally(() => setLoading(false));
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const result = await api.post<LoginResult>('/api/v1/session', { email, password });
    setCsrfToken(result.csrfToken ?? null);
    setMe(await api.get<Me>('/api/v1/me'));
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.del('/api/v1/session');
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    setCsrfToken(null);
    setMe(null);
  }, []);

  return (
    <SessionContext.Provider value={{ me, loading, login, logout }}>{children}</SessionContext.Provider>
  );
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
