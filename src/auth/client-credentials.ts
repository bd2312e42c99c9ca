import type { Scope } from '../core/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { parseBasic } from './http-credentials.js';
import { parseScopes } from './scopes.js';
import { generateClientSecret, type SecretHasher } from './secrets.js';
import type { TokenIssuer } from './token-issuer.js';

// The OAuth 2.0 client-credentials grant (RFC 6749 section 4.4) as a transport-free service: the
// route hands over the form fields and the Authorization header and sends back what comes out.

export interface TokenRequest {
  /** The body was not application/x-www-form-urlencoded (RFC 6749 section 4.4.2). */
  notForm?: boolean;
  /** Form field grant_type. */
  grantType?: string;
  /** Form field scope: space-separated; absent or blank = every scope the client has. */
  scope?: string;
  /** Form fields client_id / client_secret (client_secret_post). */
  clientId?: string;
  clientSecret?: string;
  /** The Authorization header, for HTTP Basic (client_secret_basic). */
  authorizationHeader?: string;
}

export type TokenErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unsupported_grant_type';

export type TokenResponse =
  | {
      ok: true;
      status: 200;
      body: { access_token: string; expires_in: number; token_type: 'Bearer'; scope: string };
      headers: Record<string, string>;
    }
  | {
      ok: false;
      status: 400 | 401;
      /** RFC 6749's `error` and `error_description`, and the same as the house `code` and `message`. */
      body: { error: TokenErrorCode; error_description: string; code: TokenErrorCode; message: string };
      headers: Record<string, string>;
    };

export interface ClientCredentialsDeps {
  clients: Pick<MetadataStore, 'getClient' | 'replaceClientSecretHash'>;
  hasher: SecretHasher;
  issuer: Pick<TokenIssuer, 'issue'>;
}

// RFC 6749 section 5.1: token responses, errors included, must not be cached.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export class ClientCredentialsGrant {
  readonly #deps: ClientCredentialsDeps;
  // A hash of a secret nobody knows: unknown client ids are verified against it so that they take as
  // long as a wrong secret, and ids cannot be discovered by timing.
  readonly #dummyHash: string;

  constructor(deps: ClientCredentialsDeps) {
    this.#deps = deps;
    this.#dummyHash = deps.hasher.hash(generateClientSecret());
  }

  async handle(req: TokenRequest): Promise<TokenResponse> {
    if (req.notForm)
      return fail(400, 'invalid_request', 'The token request must be application/x-www-form-urlencoded');
    const grantType = present(req.grantType);
    if (grantType === undefined) return fail(400, 'invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') {
      return fail(400, 'unsupported_grant_type', 'Only the client_credentials grant is supported');
    }

    const creds = readCredentials(req);
    if ('error' in creds) return creds.error;
    const challenge = creds.basic ? { 'www-authenticate': 'Basic realm="ics"' } : undefined;

    const client = await this.#deps.clients.getClient(creds.clientId);
    const { matches, upgrade } = await this.#deps.hasher.verify(
      creds.clientSecret,
      client?.secretHash ?? this.#dummyHash,
    );
    // One answer for unknown, revoked and wrong secret: which one it was is nobody's business.
    if (client === undefined || !matches || client.revokedAt !== null) {
      return fail(401, 'invalid_client', 'Client authentication failed', challenge);
    }
    // A legacy scrypt hash becomes the fast form now that the secret is known to be right. If the
    // write fails, the next successful use tries again; the token is issued either way.
    if (upgrade !== undefined)
      await this.#deps.clients
        .replaceClientSecretHash(client.clientId, client.secretHash, upgrade)
        .catch(() => undefined);

    let scopes: Scope[] = client.scopes;
    const requested = present(req.scope?.trim());
    if (requested !== undefined) {
      const parsed = parseScopes(requested);
      if (!parsed.ok) return fail(400, 'invalid_scope', `Unknown scope: ${parsed.unknown.join(' ')}`);
      const denied = parsed.scopes.filter((s) => !client.scopes.includes(s));
      if (denied.length > 0)
        return fail(400, 'invalid_scope', `The client may not request: ${denied.join(' ')}`);
      scopes = parsed.scopes;
    }
    if (scopes.length === 0) return fail(400, 'invalid_scope', 'The client has no scopes');

    const token = await this.#deps.issuer.issue({
      clientId: client.clientId,
      account: client.account,
      scopes,
    });
    return {
      ok: true,
      status: 200,
      body: {
        access_token: token.accessToken,
        expires_in: token.expiresIn,
        token_type: 'Bearer',
        scope: token.scope,
      },
      headers: { ...NO_STORE },
    };
  }
}

type Credentials = { clientId: string; clientSecret: string; basic: boolean } | { error: TokenResponse };

/**
 * Basic and form credentials (RFC 6749 section 2.3.1). A client must use one method; sending both is
 * tolerated only when they agree, since some libraries add client_id to the form out of habit.
 */
function readCredentials(req: TokenRequest): Credentials {
  const basic = parseBasic(req.authorizationHeader);
  const formId = present(req.clientId);
  const formSecret = present(req.clientSecret);
  if (basic.kind === 'malformed') {
    return {
      error: fail(401, 'invalid_client', 'Malformed Basic credentials', {
        'www-authenticate': 'Basic realm="ics"',
      }),
    };
  }
  if (basic.kind === 'ok') {
    if (
      (formId !== undefined && formId !== basic.clientId) ||
      (formSecret !== undefined && formSecret !== basic.clientSecret)
    ) {
      return {
        error: fail(
          400,
          'invalid_request',
          'Client credentials in both the Authorization header and the form differ',
        ),
      };
    }
    if (basic.clientId === '' || basic.clientSecret === '') {
      return { error: fail(400, 'invalid_request', 'Basic credentials need both a client id and a secret') };
    }
    return { clientId: basic.clientId, clientSecret: basic.clientSecret, basic: true };
  }
  if (formId === undefined || formSecret === undefined) {
    return {
      error: fail(
        400,
        'invalid_request',
        'Client credentials are required (HTTP Basic or client_id and client_secret)',
      ),
    };
  }
  return { clientId: formId, clientSecret: formSecret, basic: false };
}

function fail(
  status: 400 | 401,
  error: TokenErrorCode,
  description: string,
  extraHeaders?: Record<string, string>,
): TokenResponse {
  return {
    ok: false,
    status,
    body: { error, error_description: description, message: description, code: error },
    headers: { ...NO_STORE, ...extraHeaders },
  };
}

const present = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
