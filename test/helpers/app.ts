import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { addClient } from '../../src/auth/client-admin.js';
import { loadConfig } from '../../src/config.js';
import { type ContentPermissions, SCOPES } from '../../src/core/types.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { type Backend, backendEnv } from './backends.js';

export const V3 = 'application/vnd.newvoicemedia.v3+json';
export const V2 = 'application/vnd.newvoicemedia.v2+json';
export const ALL_SCOPES = SCOPES.join(' ');

export interface TestApp {
  app: FastifyInstance;
  deps: Deps;
  dataDir: string;
  /**
   * A bearer token for `account` with `scopes` and content `permissions` (a fresh client each call,
   * through the real token endpoint).
   */
  token(opts?: { account?: string; scopes?: string; permissions?: ContentPermissions }): Promise<string>;
  /** JSON request with the v3 Accept header and a bearer token. */
  api(opts: {
    method: string;
    url: string;
    token: string;
    body?: unknown;
    headers?: Record<string, string>;
  }): Promise<LightMyRequestResponse>;
  /** Creates an interaction and uploads files to it; returns its guid. */
  seed(token: string, opts?: SeedOptions): Promise<string>;
  close(): Promise<void>;
}

export interface SeedOptions {
  guid?: string;
  start?: string;
  connectFrom?: string;
  connectTo?: string;
  direction?: string;
  agents?: string[];
  files?: {
    key: string;
    body: Buffer | string;
    contentType?: string;
    type?: string;
    owningAgentId?: string;
  }[];
}

/** A real app over a fresh data directory (SQLite + files by default); closes with the test. */
export async function buildTestApp(
  t: { after(fn: () => Promise<void>): void },
  opts: { env?: Record<string, string>; backend?: Backend; logger?: FastifyServerOptions['logger'] } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ics-test-'));
  const backend = opts.backend ? await backendEnv(opts.backend) : { env: {}, cleanup: async () => {} };
  const config = loadConfig({ ICS_DATA_DIR: dataDir, ...backend.env, ...opts.env });
  const deps = await createDeps(config, { logger: opts.logger });
  const app = await buildApp(deps);
  await app.ready();

  const token: TestApp['token'] = async ({ account = 'acme', scopes = ALL_SCOPES, permissions } = {}) => {
    const client = await addClient(deps.store, { account, scopes, permissions });
    const res = await app.inject({
      method: 'POST',
      url: '/Auth/connect/token',
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
    return res.json().access_token as string;
  };

  const api: TestApp['api'] = ({ method, url, token: bearer, body, headers }) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: {
        accept: V3,
        authorization: `Bearer ${bearer}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  const seed: TestApp['seed'] = async (bearer, s = {}) => {
    const res = await api({
      method: 'POST',
      url: '/interaction-content/interactions',
      token: bearer,
      body: {
        ...(s.guid && { guid: s.guid }),
        start: s.start ?? '2024-03-01T10:00:00Z',
        connectFrom: s.connectFrom ?? '+441234567890',
        connectTo: s.connectTo ?? '+449876543210',
        direction: s.direction ?? 'inbound',
        handlingAgents: (s.agents ?? ['agent-1']).map((id) => ({ id })),
      },
    });
    if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
    const guid = res.json().guid as string;
    for (const f of s.files ?? [
      { key: 'callRecording', body: 'RIFF-demo-bytes', contentType: 'audio/wav' },
    ]) {
      const q = new URLSearchParams();
      if (f.type) q.set('type', f.type);
      if (f.owningAgentId) q.set('owningAgentId', f.owningAgentId);
      const up = await app.inject({
        method: 'PUT',
        url: `/interaction-content/interactions/${guid}/content/${f.key}${q.size ? `?${q}` : ''}`,
        headers: {
          accept: V3,
          authorization: `Bearer ${bearer}`,
          'content-type': f.contentType ?? 'application/octet-stream',
        },
        payload: f.body,
      });
      if (up.statusCode !== 201 && up.statusCode !== 200)
        throw new Error(`upload ${f.key} failed: ${up.statusCode} ${up.body}`);
    }
    return guid;
  };

  const close = async () => {
    await app.close();
    await deps.close();
    await backend.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  };
  t.after(close);
  return { app, deps, dataDir, token, api, seed, close };
}
