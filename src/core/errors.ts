// One error family for the whole service. The HTTP error handler is the one place that maps `status`
// and `code` onto a response; services only choose which named factory to call.

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(opts: {
    status: number;
    code: string;
    message: string;
    headers?: Record<string, string>;
    cause?: unknown;
  }) {
    super(opts.message, { cause: opts.cause });
    this.name = 'AppError';
    this.status = opts.status;
    this.code = opts.code;
    this.headers = opts.headers ?? {};
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

export const badRequest = (message: string, code = 'bad_request') =>
  new AppError({ status: 400, code, message });

export const invalidToken = () =>
  new AppError({
    status: 401,
    code: 'invalid_token',
    message: 'The access token is invalid or has expired',
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });

export const insufficientScope = (scope: string) =>
  new AppError({
    status: 403,
    code: 'insufficient_scope',
    message: `The access token does not grant the '${scope}' scope`,
    headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
  });

export const interactionNotFound = (guid: string) =>
  new AppError({
    status: 404,
    code: 'interaction_not_found',
    message: `Interaction '${guid}' was not found`,
  });

export const contentNotFound = (guid: string, key: string) =>
  new AppError({
    status: 404,
    code: 'content_not_found',
    message: `Content '${key}' of interaction '${guid}' was not found`,
  });

export const interactionExists = (guid: string) =>
  new AppError({ status: 409, code: 'interaction_exists', message: `Interaction '${guid}' already exists` });

/** The hold's reason is named only when given: it is for admin-scope callers' eyes (hold-visibility.ts). */
export const legalHoldConflict = (guid: string, reason?: string) =>
  new AppError({
    status: 409,
    code: 'legal_hold',
    message:
      reason === undefined
        ? `Interaction '${guid}' is under legal hold and cannot be deleted`
        : `Interaction '${guid}' is under legal hold (${reason}) and cannot be deleted`,
  });

export const payloadTooLarge = (limit: number) =>
  new AppError({
    status: 413,
    code: 'payload_too_large',
    message: `Upload exceeds the limit of ${limit} bytes`,
  });

export const rangeNotSatisfiable = (size: number) =>
  new AppError({
    status: 416,
    code: 'range_not_satisfiable',
    message: 'The requested range is not satisfiable',
    headers: { 'content-range': `bytes */${size}` },
  });

export const batchInProgress = (retryAfterSeconds: number) =>
  new AppError({
    status: 429,
    code: 'batch_in_progress',
    message: 'A delete-batch for this account is already running',
    headers: { 'retry-after': String(retryAfterSeconds) },
  });

/** A token bucket ran dry; the rate-limit headers (Retry-After, RateLimit-*) are set beside it. */
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError({
    status: 429,
    code: 'rate_limited',
    message: `Too many requests; retry in ${retryAfterSeconds} s`,
  });

export const tooManyUploads = (limit: number) =>
  new AppError({
    status: 429,
    code: 'too_many_uploads',
    message: `This account already has ${limit} uploads in progress; retry when one has finished`,
    headers: { 'retry-after': '1' },
  });

export const requestTimeout = () =>
  new AppError({
    status: 503,
    code: 'request_timeout',
    message: 'The request took too long to answer; try again shortly',
    headers: { 'retry-after': '5' },
  });

export const unavailable = (message: string, cause?: unknown) =>
  new AppError({ status: 503, code: 'unavailable', message, headers: { 'retry-after': '5' }, cause });

/** Raised by stores at their seam so the core never sees driver errors. */
export class StoreUnavailableError extends Error {
  constructor(what: string, cause?: unknown) {
    super(`${what} is unavailable`, { cause });
    this.name = 'StoreUnavailableError';
  }
}
