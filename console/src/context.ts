import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, Me } from './api/client';
import type { ConsoleConfig } from './config';

export interface AppContextValue {
  config: ConsoleConfig;
  api: Api;
  me: Me;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the signed-in app');
  return value;
}
