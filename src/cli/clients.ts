import { addClient, rotateClientSecret } from '../auth/client-admin.js';
import { parse } from './args.js';
import { withStore } from './context.js';
import { UsageError } from './main.js';

const USAGE =
  'usage: ics clients add --account <id> --scopes "<scopes>" [--name <text>] [--json] | ics clients list [--json] | ics clients revoke <clientId> | ics clients rotate <clientId> [--json]';

export async function clientsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'add') {
    const { values } = parse(rest, {
      account: { type: 'string' },
      scopes: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (!values.account || !values.scopes)
      throw new UsageError(`--account and --scopes are required; ${USAGE}`);
    const { account, scopes, name } = values;
    const client = await withStore((store) => addClient(store, { account, scopes, name }));
    if (values.json) {
      const { clientId, clientSecret, account: acc, scopes: granted } = client;
      process.stdout.write(`${JSON.stringify({ clientId, clientSecret, account: acc, scopes: granted })}\n`);
    } else {
      process.stdout.write(
        `client created for account '${client.account}' with scopes: ${client.scopes.join(' ')}\n` +
          `  client id:     ${client.clientId}\n  client secret: ${client.clientSecret}\n` +
          'The secret is shown only now; store it safely.\n',
      );
    }
    return 0;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean', default: false } });
    const clients = await withStore((store) => store.listClients());
    const rows = clients.map((c) => ({
      clientId: c.clientId,
      account: c.account,
      name: c.name,
      scopes: c.scopes,
      createdAt: new Date(c.createdAt).toISOString(),
      revokedAt: c.revokedAt === null ? null : new Date(c.revokedAt).toISOString(),
    }));
    if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    else if (rows.length === 0) process.stdout.write('no clients\n');
    else {
      for (const r of rows) {
        process.stdout.write(
          `${r.clientId}  ${r.account}  ${r.revokedAt ? `revoked ${r.revokedAt}` : 'active'}  ${r.scopes.join(' ')}${r.name ? `  (${r.name})` : ''}\n`,
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
