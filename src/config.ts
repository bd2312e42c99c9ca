import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { decodeSealingKey } from './secrets/sealed-box.js';
import { parseCidrs } from './webhooks/address-policy.js';
import type { WebhookSettings } from './webhooks/types.js';

// The only reader of process.env. loadConfig is pure: env in, frozen Config out, or one ConfigError
// that lists every problem at once.

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'postgres';
      url: string;
      poolSize: number;
      /** Named prepared statements (ICS_PG_PREPARED_STATEMENTS, default on): metadata/pg-client.ts. */
      preparedStatements?: boolean;
    };

export type BlobConfig =
  | { kind: 'fs'; root: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint: string | undefined;
      region: string;
      forcePathStyle: boolean;
      /** From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); else the SDK's default chain. */
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
    };

export interface OidcConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  accountClaim: string;
}

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface BucketConfig {
  perSecond: number;
  burst: number;
}

export interface HttpConfig {
  host: string;
  port: number;
  /** ICS_TLS_CERT_FILE / ICS_TLS_KEY_FILE: serve HTTPS (re-read on SIGHUP); undefined: plain HTTP. */
  tls: { certFile: string; keyFile: string } | undefined;
  /**
   * ICS_TRUST_PROXY, as Fastify's trustProxy: false (default; the socket's address is the client's),
   * true (trust every X-Forwarded-For hop), a hop count, or proxy addresses / CIDR ranges.
   */
  trustProxy: boolean | number | string;
}

export interface Config {
  http: HttpConfig;
  /** All in milliseconds (see docs/security.md for what each one cuts). */
  timeouts: {
    /** Request line and headers must arrive within this. */
    headersMs: number;
    /** A request body that sends nothing for this long is aborted. */
    bodyIdleMs: number;
    /** Longest time to answer a request, except uploads and downloads, which stream. */
    requestMs: number;
    /** An idle keep-alive connection is closed after this. */
    keepAliveMs: number;
    /** A connection on which nothing moves either way for this long is closed. */
    idleMs: number;
    /** On SIGTERM, requests in flight get this long to finish before they are cut. */
    shutdownGraceMs: number;
  };
  /** undefined: rate limits are kept in this process's memory. */
  redis: { url: string; keyPrefix: string } | undefined;
  rateLimits: {
    /** Every route, per client (authenticated) or per source address (public routes); undefined = off. */
    perClient: BucketConfig | undefined;
    /** The token endpoint, per client id asked for and per source address; undefined = off. */
    tokenPerClientId: BucketConfig | undefined;
    tokenPerAddress: BucketConfig | undefined;
  };
  dataDir: string;
  database: DatabaseConfig;
  blobs: BlobConfig;
  limits: {
    maxUploadBytes: number;
    /** Uploads one account may have in flight on one node; more get 429. */
    maxConcurrentUploadsPerAccount: number;
    /** 0 = unlimited. */
    searchWindowMs: number;
  };
  auth: {
    tokenTtlSeconds: number;
    /** From ICS_TOKEN_SECRET; when undefined the secret is kept in the metadata store. */
    tokenSecret: string | undefined;
    oidc: OidcConfig | undefined;
  };
  /** Node liveness: a node silent this long is dead, and its claims, leases and intents are freed. */
  nodes: { timeoutMs: number };
  /** The web console at /console (src/http/console.ts). */
  console: ConsoleConfig;
  /** The key that seals stored secrets (ICS_SECRETS_KEY); undefined: `<data dir>/secrets.key`. */
  secrets: { key: string | undefined };
  export: ExportConfig;
  retention: RetentionConfig;
  /** Deletion jobs (src/deletion-jobs/). */
  deletionJobs: DeletionJobsConfig;
  /** Webhook delivery (src/webhooks/). */
  webhooks: WebhookSettings;
  /** GET /metrics: ICS_METRICS_TOKEN, when set, is the bearer token a scrape must send. */
  metrics: { token: string | undefined };
  logLevel: string;
  /** Test-only fault injection points (ICS_TEST_FAULTS); never set in production. */
  testFaults: string | undefined;
}

export interface ConsoleConfig {
  enabled: boolean;
  /** The console's own (public) client id at the OIDC issuer: set, the console offers single sign-on. */
  oidcClientId: string | undefined;
  /** Scopes the console asks the issuer for. */
  oidcScope: string;
}

export const DEFAULT_CONSOLE_OIDC_SCOPE =
  'openid interaction-content:read interaction-content:delete interaction-content:admin';

/** The Interaction Content Export API (src/export/). */
export interface ExportConfig {
  /** Files in flight at once per export job. */
  concurrency: number;
  /** Interactions per checkpoint. */
  batchSize: number;
  /** How often a recurring export runs. */
  intervalMs: number;
  /** How old content must be before a recurring export takes it (see docs/export.md). */
  settleMs: number;
  /** Origins a storage item's custom endpoint may name; undefined: any. [] = AWS only. */
  allowedEndpoints: string[] | undefined;
}

/** Retention policies and their sweep (src/retention/). */
export interface RetentionConfig {
  /** How long a change to the rules (or turning retention on) waits before it acts; 0 = at once. */
  graceMs: number;
  /** How often each account's sweep runs. */
  sweepIntervalMs: number;
  /** Due items read per page of a sweep. */
  batchSize: number;
  /** Interactions deleted per transaction (each ends in a checkpoint of the sweep). */
  txSize: number;
  /** After each transaction the sweep rests this percentage of the time it took (jobs/pace.ts). */
  restPercent: number;
}

export interface DeletionJobsConfig {
  /** Interactions deleted per transaction at most (each batch commits with its items and checkpoint). */
  batchSize: number;
  /** A transaction takes no further interaction after this many ms (it holds SQLite's one connection). */
  txBudgetMs: number;
  /** After each transaction the job rests this percentage of the time it took (jobs/pace.ts). */
  restPercent: number;
  /** How long a job with interactions under legal hold waits before it looks again; a release wakes it sooner. */
  recheckMs: number;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses "5368709120", "512MiB", "5g". */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2].toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

export function loadConfig(env: Env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const str = (name: string, fallback: string) => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got '${raw}')`);
      return fallback;
    }
    return n;
  };

  const dataDir = resolve(cwd, str('ICS_DATA_DIR', './data'));
  const port = int('PORT', 8080, 0, 65535);
  const host = str('HOST', '127.0.0.1');
  const tls = parseTls(env, cwd, problems);
  const trustProxy = parseTrustProxy(env.ICS_TRUST_PROXY, problems);

  const database = parseDatabase(
    env.ICS_DATABASE_URL,
    dataDir,
    int('ICS_DATABASE_POOL_SIZE', 10, 1, 1000),
    problems,
  );
  const prepared = (env.ICS_PG_PREPARED_STATEMENTS || 'on').trim().toLowerCase();
  if (prepared !== 'on' && prepared !== 'off')
    problems.push(`ICS_PG_PREPARED_STATEMENTS must be on or off (got '${env.ICS_PG_PREPARED_STATEMENTS}')`);
  if (database.kind === 'postgres') database.preparedStatements = prepared !== 'off';
  const blobs = parseBlobs(env, dataDir, problems);

  let maxUploadBytes = 5 * 1024 ** 3;
  if (env.ICS_MAX_UPLOAD_BYTES) {
    const n = parseSize(env.ICS_MAX_UPLOAD_BYTES);
    if (n === undefined || n < 1)
      problems.push(
        `ICS_MAX_UPLOAD_BYTES must be a size such as 5368709120 or 512MiB (got '${env.ICS_MAX_UPLOAD_BYTES}')`,
      );
    else maxUploadBytes = n;
  }
  const searchWindowDays = int('ICS_SEARCH_WINDOW_DAYS', 7, 0, 36500);
  const tokenTtlSeconds = int('ICS_TOKEN_TTL_SECONDS', 7200, 60, 86400 * 7);

  const tokenSecret = env.ICS_TOKEN_SECRET || undefined;
  if (tokenSecret !== undefined && tokenSecret.length < 32)
    problems.push('ICS_TOKEN_SECRET must be at least 32 characters');

  const nodeTimeoutSeconds = int('ICS_NODE_TIMEOUT_SECONDS', 30, 2, 600);

  const oidc = parseOidc(env, problems);
  const consoleConfig = parseConsole(env, oidc, problems);

  const secretsKey = env.ICS_SECRETS_KEY || undefined;
  if (secretsKey !== undefined && !decodeSealingKey(secretsKey))
    problems.push('ICS_SECRETS_KEY must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)');
  const exportConfig: ExportConfig = {
    concurrency: int('ICS_EXPORT_CONCURRENCY', 4, 1, 64),
    batchSize: int('ICS_EXPORT_BATCH_SIZE', 100, 1, 1000),
    intervalMs: int('ICS_EXPORT_INTERVAL_SECONDS', 3600, 1, 86400 * 7) * 1000,
    settleMs: int('ICS_EXPORT_SETTLE_SECONDS', 600, 0, 86400 * 7) * 1000,
    allowedEndpoints: parseEndpoints(env.ICS_EXPORT_ENDPOINTS, problems),
  };
  const retentionConfig: RetentionConfig = {
    graceMs: int('ICS_RETENTION_GRACE_DAYS', 30, 0, 36500) * 86_400_000,
    sweepIntervalMs: int('ICS_RETENTION_SWEEP_SECONDS', 3600, 1, 86400 * 7) * 1000,
    batchSize: int('ICS_RETENTION_BATCH_SIZE', 500, 1, 10_000),
    txSize: int('ICS_RETENTION_TX_SIZE', 20, 1, 1000),
    restPercent: int('ICS_RETENTION_REST_PERCENT', 100, 0, 10_000),
  };
  const deletionJobs: DeletionJobsConfig = {
    batchSize: int('ICS_DELETION_JOB_BATCH_SIZE', 20, 1, 1000),
    txBudgetMs: int('ICS_DELETION_JOB_TX_MS', 5, 1, 60_000),
    restPercent: int('ICS_DELETION_JOB_REST_PERCENT', 300, 0, 10_000),
    recheckMs: int('ICS_DELETION_JOB_RECHECK_SECONDS', 3600, 1, 86400 * 7) * 1000,
  };
  const denyCidrs = parseCidrs(env.ICS_WEBHOOK_DENY_CIDRS);
  for (const p of denyCidrs.problems) problems.push(`ICS_WEBHOOK_DENY_CIDRS: ${p}`);
  const webhooks: WebhookSettings = {
    timeoutMs: int('ICS_WEBHOOK_TIMEOUT_SECONDS', 10, 1, 300) * 1000,
    concurrency: int('ICS_WEBHOOK_CONCURRENCY', 4, 1, 64),
    workers: int('ICS_WEBHOOK_WORKERS', 16, 1, 1000),
    retryBaseMs: int('ICS_WEBHOOK_RETRY_BASE_MS', 10_000, 10, 3600_000),
    retryBudgetMs: int('ICS_WEBHOOK_RETRY_SECONDS', 86_400, 1, 86_400 * 30) * 1000,
    pollMs: int('ICS_WEBHOOK_POLL_MS', 1000, 50, 60_000),
    denyCidrs: denyCidrs.cidrs,
  };
  const seconds = (name: string, fallback: number) => int(name, fallback, 1, 86400) * 1000;
  const timeouts = {
    headersMs: seconds('ICS_HEADERS_TIMEOUT_SECONDS', 30),
    bodyIdleMs: seconds('ICS_BODY_TIMEOUT_SECONDS', 60),
    requestMs: seconds('ICS_REQUEST_TIMEOUT_SECONDS', 60),
    keepAliveMs: seconds('ICS_KEEP_ALIVE_TIMEOUT_SECONDS', 72),
    idleMs: seconds('ICS_IDLE_TIMEOUT_SECONDS', 120),
    shutdownGraceMs: int('ICS_SHUTDOWN_GRACE_SECONDS', 30, 0, 3600) * 1000,
  };
  const maxConcurrentUploadsPerAccount = int('ICS_MAX_CONCURRENT_UPLOADS', 32, 1, 100_000);

  // 0 switches a limit off. Per-minute settings make buckets whose burst is the minute's allowance.
  const bucket = (rate: number, burst: number) => (rate === 0 ? undefined : { perSecond: rate, burst });
  const perMinute = (name: string, fallback: number) => {
    const n = int(name, fallback, 0, 1_000_000);
    return n === 0 ? undefined : { perSecond: n / 60, burst: n };
  };
  const rateLimits = {
    perClient: bucket(
      int('ICS_RATE_LIMIT_PER_SECOND', 100, 0, 1_000_000),
      int('ICS_RATE_LIMIT_BURST', 200, 1, 10_000_000),
    ),
    tokenPerClientId: perMinute('ICS_TOKEN_RATE_LIMIT_PER_CLIENT', 20),
    tokenPerAddress: perMinute('ICS_TOKEN_RATE_LIMIT_PER_ADDRESS', 300),
  };
  const redisUrl = env.ICS_REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/]/.test(redisUrl))
    problems.push(`ICS_REDIS_URL must be a redis:// or rediss:// URL (got '${redact(redisUrl)}')`);
  const keyPrefix = str('ICS_REDIS_KEY_PREFIX', 'ics:');
  const metricsToken = env.ICS_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16)
    problems.push('ICS_METRICS_TOKEN must be at least 16 characters');
  const logLevel = str('ICS_LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(
      `ICS_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got '${logLevel}')`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    http: { host, port, tls, trustProxy },
    timeouts,
    redis: redisUrl === undefined ? undefined : { url: redisUrl, keyPrefix },
    rateLimits,
    dataDir,
    database,
    blobs,
    limits: {
      maxUploadBytes,
      maxConcurrentUploadsPerAccount,
      searchWindowMs: searchWindowDays * 86_400_000,
    },
    auth: { tokenTtlSeconds, tokenSecret, oidc },
    nodes: { timeoutMs: nodeTimeoutSeconds * 1000 },
    console: consoleConfig,
    secrets: { key: secretsKey },
    export: exportConfig,
    retention: retentionConfig,
    deletionJobs,
    webhooks,
    metrics: { token: metricsToken },
    logLevel,
    testFaults: env.ICS_TEST_FAULTS || undefined,
  });
}

/** The URL this process's server answers on, for hints a person pastes (wildcard hosts → loopback). */
export function localBaseUrl(http: Pick<HttpConfig, 'host' | 'port' | 'tls'>, port = http.port): string {
  const host = http.host === '0.0.0.0' || http.host === '::' ? '127.0.0.1' : http.host;
  return `${http.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function parseTls(env: Env, cwd: string, problems: string[]): HttpConfig['tls'] {
  const certFile = env.ICS_TLS_CERT_FILE || undefined;
  const keyFile = env.ICS_TLS_KEY_FILE || undefined;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) {
    problems.push('ICS_TLS_CERT_FILE and ICS_TLS_KEY_FILE must be set together');
    return undefined;
  }
  return { certFile: resolve(cwd, certFile), keyFile: resolve(cwd, keyFile) };
}

function parseTrustProxy(raw: string | undefined, problems: string[]): HttpConfig['trustProxy'] {
  const text = raw?.trim().toLowerCase();
  if (!text || text === 'false' || text === 'off') return false;
  if (text === 'true' || text === 'on') return true;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text.split(',').map((e) => e.trim());
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  const bad = entries.filter((e) => {
    if (named.has(e)) return false;
    const [ip, bits, more] = e.split('/');
    if (more !== undefined || isIP(ip) === 0) return true;
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(ip) === 4 ? 32 : 128));
  });
  if (bad.length > 0) {
    problems.push(
      `ICS_TRUST_PROXY must be true, false, a hop count, or proxy addresses/CIDR ranges (loopback, 10.0.0.0/8, …) separated by commas (got '${bad.join(',')}')`,
    );
    return false;
  }
  return entries.join(',');
}

function parseDatabase(
  raw: string | undefined,
  dataDir: string,
  poolSize: number,
  problems: string[],
): DatabaseConfig {
  if (!raw) return { kind: 'sqlite', path: join(dataDir, 'ics.sqlite') };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      problems.push('ICS_DATABASE_URL is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw, poolSize };
  }
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) problems.push('ICS_DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/ics.sqlite');
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(path) };
  }
  problems.push(
    `ICS_DATABASE_URL must start with postgres://, postgresql:// or sqlite: (got '${redact(raw)}')`,
  );
  return { kind: 'sqlite', path: join(dataDir, 'ics.sqlite') };
}

function parseBlobs(env: Env, dataDir: string, problems: string[]): BlobConfig {
  const raw = env.ICS_BLOB_URL;
  if (!raw) return { kind: 'fs', root: join(dataDir, 'blobs') };
  if (raw.startsWith('file:')) {
    const path = raw.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) problems.push('ICS_BLOB_URL file: needs a directory, e.g. file:./data/blobs');
    return { kind: 'fs', root: resolve(path) };
  }
  if (raw.startsWith('s3://')) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      problems.push('ICS_BLOB_URL is not a valid s3:// URL');
      return { kind: 'fs', root: join(dataDir, 'blobs') };
    }
    const bucket = url.hostname;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
      problems.push(`ICS_BLOB_URL bucket name '${bucket}' is not valid`);
    const endpoint = url.searchParams.get('endpoint') ?? undefined;
    if (endpoint !== undefined && !/^https?:\/\//.test(endpoint))
      problems.push('ICS_BLOB_URL endpoint must be an http(s) URL');
    const fps = url.searchParams.get('forcePathStyle');
    if (fps !== null && fps !== 'true' && fps !== 'false')
      problems.push('ICS_BLOB_URL forcePathStyle must be true or false');
    const prefix = url.pathname.replace(/^\/+/, '').replace(/\/*$/, '');
    return {
      kind: 's3',
      bucket,
      prefix: prefix ? `${prefix}/` : '',
      endpoint,
      region: url.searchParams.get('region') ?? env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: fps === 'true',
      credentials: awsCredentials(env, problems),
    };
  }
  problems.push(`ICS_BLOB_URL must start with file: or s3:// (got '${raw}')`);
  return { kind: 'fs', root: join(dataDir, 'blobs') };
}

function awsCredentials(env: Env, problems: string[]) {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId && !secretAccessKey) return undefined;
  if (!accessKeyId || !secretAccessKey) {
    problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
    return undefined;
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
  };
}

function parseOidc(env: Env, problems: string[]): OidcConfig | undefined {
  const jwksUrl = env.ICS_OIDC_JWKS_URL;
  const issuer = env.ICS_OIDC_ISSUER;
  const audience = env.ICS_OIDC_AUDIENCE;
  if (!jwksUrl && !issuer && !audience) return undefined;
  if (!jwksUrl || !issuer || !audience) {
    problems.push('ICS_OIDC_JWKS_URL, ICS_OIDC_ISSUER and ICS_OIDC_AUDIENCE must be set together');
    return undefined;
  }
  if (!/^https?:\/\//.test(jwksUrl)) problems.push('ICS_OIDC_JWKS_URL must be an http(s) URL');
  return { jwksUrl, issuer, audience, accountClaim: env.ICS_OIDC_ACCOUNT_CLAIM || 'account' };
}

function parseConsole(env: Env, oidc: OidcConfig | undefined, problems: string[]): ConsoleConfig {
  const raw = (env.ICS_CONSOLE || 'on').toLowerCase();
  if (raw !== 'on' && raw !== 'off')
    problems.push(`ICS_CONSOLE must be on or off (got '${env.ICS_CONSOLE}')`);
  const oidcClientId = env.ICS_CONSOLE_OIDC_CLIENT_ID || undefined;
  if (oidcClientId !== undefined) {
    if (!env.ICS_OIDC_ISSUER) problems.push('ICS_CONSOLE_OIDC_CLIENT_ID needs the ICS_OIDC_* settings');
    // The console discovers the issuer's endpoints at <issuer>/.well-known/openid-configuration.
    else if (!/^https?:\/\/[^/]/.test(env.ICS_OIDC_ISSUER))
      problems.push('ICS_CONSOLE_OIDC_CLIENT_ID needs ICS_OIDC_ISSUER to be an http(s) URL');
    if (oidcClientId.length > 200) problems.push('ICS_CONSOLE_OIDC_CLIENT_ID is longer than 200 characters');
  }
  const oidcScope = env.ICS_CONSOLE_OIDC_SCOPE?.trim() || DEFAULT_CONSOLE_OIDC_SCOPE;
  return { enabled: raw !== 'off', oidcClientId: oidc ? oidcClientId : undefined, oidcScope };
}

/** ICS_EXPORT_ENDPOINTS: `any` (default), `none` (AWS only), or a comma-separated list of origins. */
function parseEndpoints(raw: string | undefined, problems: string[]): string[] | undefined {
  const text = raw?.trim();
  if (!text || text === 'any') return undefined;
  if (text === 'none') return [];
  const origins: string[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    try {
      const url = new URL(part);
      if (!/^https?:$/.test(url.protocol)) throw new Error('not http(s)');
      origins.push(url.origin);
    } catch {
      problems.push(
        `ICS_EXPORT_ENDPOINTS must be any, none, or http(s) origins separated by commas (got '${part}')`,
      );
    }
  }
  return origins;
}

function redact(url: string) {
  return url.replace(/\/\/([^:@/]*):[^@/]+@/, '//$1:***@');
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
