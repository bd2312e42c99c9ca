/** /console/config.json: what the server tells the console about itself (src/http/console.ts). */
export interface ConsoleConfig {
  apiBase: string;
  tokenEndpoint: string;
  searchWindowDays: number;
  oidc: { issuer: string; clientId: string; scope: string; accountClaim: string } | null;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch('/console/config.json', { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error(`config.json answered ${res.status}`);
  return (await res.json()) as ConsoleConfig;
}
