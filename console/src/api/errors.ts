// What the API said, and how to say it to a person.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  /** Seconds, from Retry-After on 429 and 503. */
  readonly retryAfter: number | undefined;
  /** The scope a 403 names in WWW-Authenticate. */
  readonly scope: string | undefined;
  constructor(opts: { status: number; message: string; code?: string; retryAfter?: number; scope?: string }) {
    super(opts.message);
    this.name = 'ApiError';
    this.status = opts.status;
    this.code = opts.code;
    this.retryAfter = opts.retryAfter;
    this.scope = opts.scope;
  }
}

/** The route does not exist on this server (as opposed to a resource that does not). */
export const isMissingRoute = (err: unknown) =>
  err instanceof ApiError && err.status === 404 && (err.code === 'route_not_found' || err.code === undefined);

export const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';

/** A sentence for the person at the screen: what happened and what they can do. */
export function describeError(err: unknown, what = 'The request'): string {
  if (!(err instanceof ApiError)) {
    if (err instanceof TypeError) return `${what} did not reach the server (network error). Try again.`;
    return `${what} failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  switch (err.status) {
    case 400:
      return `${what} was refused: ${err.message}`;
    case 401:
      return 'Your session has ended (the server no longer accepts its token). Sign in again.';
    case 403:
      return err.scope
        ? `Not allowed: your sign-in lacks the ${err.scope} scope. Ask an administrator for a client with it.`
        : `Not allowed: ${err.message}`;
    case 404:
      return `Not found: it was deleted, or it is not in your account.`;
    case 409:
      return err.code === 'legal_hold' || /legal hold/i.test(err.message)
        ? `Refused: ${err.message}. Release the legal hold first.`
        : `Refused: ${err.message}`;
    case 413:
      return `Refused: ${err.message}`;
    case 429:
      return `Too many requests: the server asks to wait${
        err.retryAfter !== undefined ? ` ${err.retryAfter} s` : ''
      } before trying again.`;
    default:
      if (err.status >= 500)
        return `The server could not answer (${err.status}${err.code ? ` ${err.code}` : ''}). Try again shortly.`;
      return `${what} failed (${err.status}): ${err.message}`;
  }
}
