import { StoreUnavailableError } from '../core/errors.js';
import { BlobExistsError, BlobNotFoundError } from './blob-store.js';
import { blobStorageUnavailable } from './store-errors.js';

// The seam between the AWS SDK and the core: every error leaving S3BlobStore goes through
// translateS3Error, so the core sees BlobNotFoundError, StoreUnavailableError, RangeError or a plain
// Error, never an SDK exception type.

export interface S3ErrorContext {
  /** The operation, for messages: 'GetObject', 'HeadBucket', ... */
  op: string;
  bucket: string;
  region: string;
  /** Where requests go, for messages. */
  endpoint: string;
  /** The blob key the operation addressed; absent for bucket-level operations. */
  key?: string;
}

const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'Forbidden',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

export interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  errors?: unknown[];
  cause?: unknown;
}

export function translateS3Error(err: unknown, ctx: S3ErrorContext): unknown {
  if (
    err instanceof BlobNotFoundError ||
    err instanceof BlobExistsError ||
    err instanceof StoreUnavailableError ||
    err instanceof RangeError
  ) {
    return err;
  }
  const e = (err ?? {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const bucket = `bucket '${ctx.bucket}' at ${ctx.endpoint}`;
  // Errors to HEAD requests have no body, so the SDK can only name them 'Unknown' or 'NotFound'.
  const label = name && name !== 'Unknown' ? name : `HTTP ${status}`;

  if (name === 'NoSuchBucket' || (status === 404 && ctx.key === undefined)) {
    return blobStorageUnavailable(`${bucket} does not exist`, err);
  }
  // HEAD responses carry no error body, so a missing key there is only "404 NotFound".
  if (name === 'NoSuchKey' || (status === 404 && ctx.key !== undefined))
    return new BlobNotFoundError(ctx.key ?? '');
  if (name === 'InvalidRange' || status === 416)
    return new RangeError(`byte range not satisfiable for '${ctx.key}'`);
  if (name === 'CredentialsProviderError') {
    return blobStorageUnavailable(
      'no S3 credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure another source of the AWS credential chain)',
      err,
    );
  }
  if (CREDENTIAL_ERRORS.has(name) || status === 403) {
    return blobStorageUnavailable(`S3 credentials were rejected or lack access to ${bucket} (${label})`, err);
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    return blobStorageUnavailable(`${bucket} is not in region '${ctx.region}' (${label})`, err);
  }
  const code = networkCode(e);
  if (code) return blobStorageUnavailable(`cannot reach S3 at ${ctx.endpoint} (${code})`, err);
  if (e.$fault === 'server' || (status !== undefined && status >= 500)) {
    return blobStorageUnavailable(`S3 at ${ctx.endpoint} answered ${label}`, err);
  }
  return new Error(`S3 ${ctx.op} failed: ${name || 'Error'}: ${e.message ?? String(err)}`, { cause: err });
}

/** Node reports a refused connection as `code`, and under happy eyeballs inside AggregateError.errors. */
export function networkCode(e: SdkLikeError, depth = 0): string | undefined {
  if (depth > 3) return undefined;
  for (const candidate of [e.code, e.name]) {
    if (candidate && NETWORK_CODES.has(candidate)) return candidate;
  }
  for (const inner of [...(e.errors ?? []), e.cause]) {
    if (inner && typeof inner === 'object') {
      const found = networkCode(inner as SdkLikeError, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}
