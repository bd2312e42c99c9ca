import { normalizePermissions } from '../core/permissions.js';
import type { ApiClient, ContentPermissions, Scope } from '../core/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { ACCOUNT_RULE, isValidAccount } from './claims.js';
import { parseScopes } from './scopes.js';
import { generateClientId, generateClientSecret, resolveClientSecretKey, SecretHasher } from './secrets.js';

export interface NewClientRequest {
  account: string;
  /** Space-separated scope names. */
  scopes: string;
  name?: string;
  /** Content restrictions, already parsed (auth/permissions.ts); absent = none. */
  permissions?: ContentPermissions;
}

/** What the operator sees once: the only moment the plain secret exists outside the client. */
export interface CreatedClient {
  clientId: string;
  clientSecret: string;
  account: string;
  name: string | null;
  scopes: Scope[];
  permissions: ContentPermissions;
  createdAt: string;
}

/**
 * Creates an API client with a fresh id and secret; only the secret's keyed hash is stored. Throws an
 * Error with an operator-readable message when the account or the scopes are not valid, so a client
 * that could never obtain a usable token is not created.
 */
export async function addClient(
  store: Pick<MetadataStore, 'createClient' | 'getOrCreateClientSecretKey'>,
  req: NewClientRequest,
  now: () => number = Date.now,
): Promise<CreatedClient> {
  if (!isValidAccount(req.account)) throw new Error(`account '${req.account}' is not valid: ${ACCOUNT_RULE}`);
  const parsed = parseScopes(req.scopes);
  if (!parsed.ok) throw new Error(`unknown scopes: ${parsed.unknown.join(' ')}`);
  if (parsed.scopes.length === 0) throw new Error('at least one scope is required');
  const clientId = generateClientId();
  const clientSecret = generateClientSecret();
  const createdAt = now();
  const name = req.name?.trim() || null;
  const permissions = normalizePermissions(req.permissions);
  await store.createClient({
    clientId,
    account: req.account,
    name,
    scopes: parsed.scopes,
    secretHash: new SecretHasher(await resolveClientSecretKey(store)).hash(clientSecret),
    createdAt,
    revokedAt: null,
    permissions,
  });
  return {
    clientId,
    clientSecret,
    account: req.account,
    name,
    scopes: parsed.scopes,
    permissions,
    createdAt: new Date(createdAt).toISOString(),
  };
}

/** A fresh secret for an existing client; the old one stops working at once. */
export interface RotatedClient {
  clientId: string;
  clientSecret: string;
}

/**
 * Replaces a client's secret with a fresh one. The swap is compare-and-set on the stored hash, so
 * two rotations at once cannot both report success with different secrets. Returns undefined when
 * the client does not exist or is revoked. Tokens issued before stay valid until they expire (revoke
 * the client to cut them off).
 */
export async function rotateClientSecret(
  store: Pick<MetadataStore, 'getClient' | 'replaceClientSecretHash' | 'getOrCreateClientSecretKey'>,
  clientId: string,
): Promise<RotatedClient | undefined> {
  const hasher = new SecretHasher(await resolveClientSecretKey(store));
  for (let attempt = 0; attempt < 3; attempt++) {
    const client = await store.getClient(clientId);
    if (client === undefined || client.revokedAt !== null) return undefined;
    const clientSecret = generateClientSecret();
    if (await store.replaceClientSecretHash(clientId, client.secretHash, hasher.hash(clientSecret)))
      return { clientId, clientSecret };
  }
  throw new Error(`the secret of client '${clientId}' kept changing while it was rotated; try again`);
}

/**
 * Replaces a client's content permissions; they bite on its next request on every node once the
 * verifier's client cache refreshes (TokenVerifier `clientStatusTtlMs`), tokens already issued
 * included. Throws when the client is unknown.
 */
export async function setClientPermissions(
  store: Pick<MetadataStore, 'setClientPermissions' | 'getClient'>,
  clientId: string,
  permissions: ContentPermissions,
): Promise<ApiClient> {
  if (!(await store.setClientPermissions(clientId, normalizePermissions(permissions))))
    throw new Error(`no client '${clientId}'`);
  const client = await store.getClient(clientId);
  if (client === undefined) throw new Error(`no client '${clientId}'`);
  return client;
}
