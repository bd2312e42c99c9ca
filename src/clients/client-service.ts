import { addClient, type CreatedClient, rotateClientSecret } from '../auth/client-admin.js';
import { holdsScope } from '../auth/scopes.js';
import type { RequestContext } from '../core/context.js';
import { AppError, badRequest } from '../core/errors.js';
import type { ApiClient, Scope } from '../core/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';

/** A client as an administrator sees it: never its secret or the secret's hash. */
export interface ClientView {
  clientId: string;
  account: string;
  name: string | null;
  scopes: Scope[];
  createdAt: number;
  revokedAt: number | null;
}

export interface NewClientInput {
  scopes: Scope[];
  name?: string;
}

type ClientStore = Pick<
  MetadataStore,
  | 'createClient'
  | 'getClient'
  | 'listClients'
  | 'revokeClient'
  | 'replaceClientSecretHash'
  | 'getOrCreateClientSecretKey'
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
    const all = await this.deps.store.listClients();
    return all.filter((c) => c.account === ctx.actor.account).map(view);
  }

  async create(ctx: RequestContext, input: NewClientInput): Promise<CreatedClient> {
    if (input.scopes.length === 0) throw badRequest("'scopes' must name at least one scope", 'invalid_body');
    requireHeld(ctx, input.scopes);
    const name = input.name?.trim();
    if (name !== undefined && name.length > 200)
      throw badRequest("'name' must be at most 200 characters", 'invalid_body');
    return addClient(
      this.deps.store,
      { account: ctx.actor.account, scopes: input.scopes.join(' '), name },
      this.deps.now,
    );
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
    if (client.revokedAt !== null) throw clientRevoked(clientId);
    const rotated = await rotateClientSecret(this.deps.store, clientId);
    if (!rotated) throw clientRevoked(clientId);
    return {
      clientId,
      clientSecret: rotated.clientSecret,
      account: client.account,
      name: client.name,
      scopes: client.scopes,
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
    createdAt: c.createdAt,
    revokedAt: c.revokedAt,
  };
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
