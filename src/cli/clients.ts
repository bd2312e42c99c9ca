import { addClient, rotateClientSecret, setClientPermissions } from '../auth/client-admin.js';
import {
  applyPermissionFlags,
  describePermissions,
  hasPermissionFlags,
  type PermissionFlags,
  permissionsView,
} from '../auth/permissions.js';
import { parse } from './args.js';
import { withStore } from './context.js';
import { UsageError } from './main.js';

const PERMISSION_USAGE =
  '[--read-types <types|all>] [--delete-types <types|all>] [--directions <dirs|all>] [--read-directions <dirs|all>] [--delete-directions <dirs|all>]';
const USAGE =
  `usage: ics clients add --account <id> --scopes "<scopes>" [--name <text>] ${PERMISSION_USAGE} [--json]` +
  ` | ics clients update <clientId> ${PERMISSION_USAGE} [--json] | ics clients list [--json] | ics clients revoke <clientId> | ics clients rotate <clientId> [--json]`;

// Lists are comma- or space-separated names; `all` lifts the restriction (core/permissions.ts).
const PERMISSION_OPTIONS = {
  'read-types': { type: 'string' },
  'delete-types': { type: 'string' },
  directions: { type: 'string' },
  'read-directions': { type: 'string' },
  'delete-directions': { type: 'string' },
} as const;

function permissionFlags(values: Partial<Record<keyof typeof PERMISSION_OPTIONS, string>>): PermissionFlags {
  return {
    readTypes: values['read-types'],
    deleteTypes: values['delete-types'],
    directions: values.directions,
    readDirections: values['read-directions'],
    deleteDirections: values['delete-directions'],
  };
}

export async function clientsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'add') {
    const { values } = parse(rest, {
      account: { type: 'string' },
      scopes: { type: 'string' },
      name: { type: 'string' },
      ...PERMISSION_OPTIONS,
      json: { type: 'boolean', default: false },
    });
    if (!values.account || !values.scopes)
      throw new UsageError(`--account and --scopes are required; ${USAGE}`);
    const { account, scopes, name } = values;
    // Parsed before the store is opened: bad names change nothing.
    const permissions = applyPermissionFlags(undefined, permissionFlags(values));
    const client = await withStore((store) => addClient(store, { account, scopes, name, permissions }));
    if (values.json) {
      const { clientId, clientSecret, account: acc, scopes: granted } = client;
      process.stdout.write(
        `${JSON.stringify({ clientId, clientSecret, account: acc, scopes: granted, permissions: permissionsView(permissions) })}\n`,
      );
    } else {
      process.stdout.write(
        `client created for account '${client.account}' with scopes: ${client.scopes.join(' ')}\n` +
          `  content:       ${describePermissions(permissions)}\n` +
          `  client id:     ${client.clientId}\n  client secret: ${client.clientSecret}\n` +
          'The secret is shown only now; store it safely.\n',
      );
    }
    return 0;
  }
  if (sub === 'update') {
    const { values, positionals } = parse(
      rest,
      { ...PERMISSION_OPTIONS, json: { type: 'boolean', default: false } },
      true,
    );
    if (positionals.length !== 1) throw new UsageError(USAGE);
    const flags = permissionFlags(values);
    if (!hasPermissionFlags(flags)) throw new UsageError(`nothing to update; ${USAGE}`);
    const [clientId] = positionals;
    const client = await withStore(async (store) => {
      const current = await store.getClient(clientId);
      if (current === undefined) throw new Error(`no client '${clientId}'`);
      return setClientPermissions(store, clientId, applyPermissionFlags(current.permissions, flags));
    });
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ clientId, permissions: permissionsView(client.permissions) })}\n`,
      );
    else
      process.stdout.write(
        `client ${clientId} content permissions: ${describePermissions(client.permissions)}\n`,
      );
    return 0;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean', default: false } });
    const clients = await withStore((store) => store.listClients());
    const rows = clients.map((c) => ({
      described: describePermissions(c.permissions),
      clientId: c.clientId,
      account: c.account,
      name: c.name,
      scopes: c.scopes,
      permissions: permissionsView(c.permissions),
      createdAt: new Date(c.createdAt).toISOString(),
      revokedAt: c.revokedAt === null ? null : new Date(c.revokedAt).toISOString(),
    }));
    if (values.json) process.stdout.write(`${JSON.stringify(rows.map(({ described, ...r }) => r))}\n`);
    else if (rows.length === 0) process.stdout.write('no clients\n');
    else {
      for (const r of rows) {
        process.stdout.write(
          `${r.clientId}  ${r.account}  ${r.revokedAt ? `revoked ${r.revokedAt}` : 'active'}  ${r.scopes.join(' ')}  content: ${r.described}${r.name ? `  (${r.name})` : ''}\n`,
        );
      }
    }
    return 0;
  }
  if (sub === 'revoke') {
    const { positionals } = parse(rest, {}, true);
    if (positionals.length !== 1) throw new UsageError(USAGE);
    const ok = await withStore((store) => store.revokeClient(positionals[0], Date.now()));
    if (!ok) throw new Error(`no active client '${positionals[0]}'`);
    process.stdout.write(`client ${positionals[0]} revoked\n`);
    return 0;
  }
  if (sub === 'rotate') {
    const { values, positionals } = parse(rest, { json: { type: 'boolean', default: false } }, true);
    if (positionals.length !== 1) throw new UsageError(USAGE);
    const rotated = await withStore((store) => rotateClientSecret(store, positionals[0]));
    if (!rotated) throw new Error(`no active client '${positionals[0]}'`);
    if (values.json) process.stdout.write(`${JSON.stringify(rotated)}\n`);
    else
      process.stdout.write(
        `client ${rotated.clientId} has a new secret; the old one no longer gets tokens\n` +
          `  client secret: ${rotated.clientSecret}\n` +
          'The secret is shown only now; store it safely. Tokens issued before stay valid until they expire.\n',
      );
    return 0;
  }
  throw new UsageError(USAGE);
}
