import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleConfig } from './auth/config.ts';
import type { Session } from './auth/session.ts';

export const ConfigContext = createContext<ConsoleConfig | undefined>(undefined);
export const SessionContext = createContext<Session | undefined>(undefined);

export const useConfig = () => useContext(ConfigContext)!;
export const useSession = () => useContext(SessionContext)!;
