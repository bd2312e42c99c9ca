import {
  addClient,
  type CreatedClient,
  rotateClientSecret,
  setClientPermissions,
} from '../auth/client-admin.js';
import { parsePermissionsBody } from '../auth/permissions.js';
import { holdsScope } from '../auth/scopes.js';
import type { RequestContext } from '../core/context.js';
import { AppError, badRequest } from '../core/errors.js';
import { normalizePermissions } from '../core/permissions.js';
import type { ApiClient, ContentAccess, ContentPermissions, Scope } from '../core/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';

/** A client as an administrator sees it: never its secret or the secret's hash. */
export interface ClientView {
  clientId: string;
  account: string;
  name: string | null;
  scopes: Scope[];
  /** Content restrictions (core/permissions.ts); `{}` = none. */
  permissions: ContentPermissions;
  createdAt: number;
  revokedAt: number | null;
}

export interface NewClientInput {
  scopes: Scope[];
  name?: string;
  /** The client-admin API's `permissions` object, unparsed (auth/permissions.ts parses it). */
  permissions?: unknown;
}

type ClientStore = Pick<
  MetadataStore,
  | 'createClient'
  | 'getClient'
  | 'listClients'
  | 'revokeClient'
  | 'replaceClientSecretHash'
  | 'getOrCreateClientSecretKey'
  | 'setClientPermissions'
>;

/**
 * API-client administration for admin-scope callers (the CLI's `ics clients` over HTTP). Two rules
 * keep it from being a way up: a caller only ever sees and touches clients of its own account
 * (another account's client is "not found", as for interactions), and it never obtains a secret for
 * scopes it does not hold itself — neither by creating such a client nor by rotating one.
 */
export class ClientService {
  constructor(private readonly deps: { store: ClientStore; now?: () => number }) {}

  async list(ctx: RequestContext): Promise<ClientView[]> {
    return (await this.deps.store.listClients(ctx.actor.account)).map(view);
  }

  async create(ctx: RequestContext, input: NewClientInput): Promise<CreatedClient> {
    if (input.scopes.length === 0) throw badRequest("'scopes' must name at least one scope", 'invalid_body');
    requireHeld(ctx, input.scopes);
    const name = input.name?.trim();
    if (name !== undefined && name.length > 200)
      throw badRequest("'name' must be at most 200 characters", 'invalid_body');
    const permissions = parsePermissionsBody(input.permissions);
    requireWithin(ctx, permissions);
    return addClient(
      this.deps.store,
      { account: ctx.actor.account, scopes: input.scopes.join(' '), name, permissions },
      this.deps.now,
    );
  }

  /**
   * Replaces a client's content permissions (revoked ones too). They bite within the verifier's
   * client cache window, for the client's tokens already issued as well.
   */
  async setPermissions(ctx: RequestContext, clientId: string, raw: unknown): Promise<ClientView> {
    const permissions = parsePermissionsBody(raw);
    await this.#own(ctx, clientId);
    requireWithin(ctx, permissions);
    return view(await setClientPermissions(this.deps.store, clientId, permissions));
  }

  async revoke(ctx: RequestContext, clientId: string): Promise<ClientView> {
    await this.#own(ctx, clientId);
    // Revoking a revoked client changes nothing and is not an error: the caller's intent holds.
    await this.deps.store.revokeClient(clientId, (this.deps.now ?? Date.now)());
    return view(await this.#own(ctx, clientId));
  }

  async rotate(ctx: RequestContext, clientId: string): Promise<CreatedClient> {
    const client = await this.#own(ctx, clientId);
    requireHeld(ctx, client.scopes);
    requireWithin(ctx, client.permissions);
    if (client.revokedAt !== null) throw clientRevoked(clientId);
    const rotated = await rotateClientSecret(this.deps.store, clientId);
    if (!rotated) throw clientRevoked(clientId);
    return {
      clientId,
      clientSecret: rotated.clientSecret,
      account: client.account,
      name: client.name,
      scopes: client.scopes,
      permissions: normalizePermissions(client.permissions),
      createdAt: new Date(client.createdAt).toISOString(),
    };
  }

  async #own(ctx: RequestContext, clientId: string): Promise<ApiClient> {
    const client = await this.deps.store.getClient(clientId);
    if (client === undefined || client.account !== ctx.actor.account) throw clientNotFound(clientId);
    return client;
  }
}

function view(c: ApiClient): ClientView {
  return {
    clientId: c.clientId,
    account: c.account,
    name: c.name,
    scopes: c.scopes,
    permissions: normalizePermissions(c.permissions),
    createdAt: c.createdAt,
    revokedAt: c.revokedAt,
  };
}

/**
 * The scope rule for content permissions: a restricted caller may not make, widen or get a secret
 * for a client that could read or delete more than it can itself (a way round its own restriction).
 */
function requireWithin(ctx: RequestContext, wanted: ContentPermissions | undefined) {
  const own = ctx.actor.permissions;
  if (own === undefined) return;
  for (const side of ['read', 'delete'] as const) {
    for (const list of ['types', 'directions'] as const) {
      const limit = (own[side] as ContentAccess | undefined)?.[list] as readonly string[] | undefined;
      if (limit === undefined) continue;
      const asked = (wanted?.[side] as ContentAccess | undefined)?.[list] as readonly string[] | undefined;
      const beyond = asked === undefined ? ['all'] : asked.filter((v) => !limit.includes(v));
      if (beyond.length > 0)
        throw new AppError({
          status: 403,
          code: 'permissions_not_held',
          message: `A client's content permissions must be within the caller's own; this token may not ${side} ${list === 'types' ? 'content types' : 'directions'}: ${beyond.join(', ')}`,
        });
    }
  }
}

function requireHeld(ctx: RequestContext, scopes: readonly Scope[]) {
  // Held itself or granted (interaction-content:admin grants admin:read and admin:write).
  const missing = scopes.filter((s) => !holdsScope(ctx.actor, s));
  if (missing.length > 0)
    throw new AppError({
      status: 403,
      code: 'scope_not_held',
      message: `A client's scopes must be ones the caller holds; this token lacks: ${missing.join(' ')}`,
    });
}

const clientNotFound = (clientId: string) =>
  new AppError({ status: 404, code: 'client_not_found', message: `Client '${clientId}' was not found` });

const clientRevoked = (clientId: string) =>
  new AppError({ status: 409, code: 'client_revoked', message: `Client '${clientId}' is revoked` });
