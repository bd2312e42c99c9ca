import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';

export const USAGE = `Usage: ics <command> [options]   (ics <command> --help for one command; ics --version)

Commands:
  serve                              start the HTTP server
  migrate                            create or upgrade the database schema
  clients add --account <id> --scopes "<scopes>" [--name <text>] [--json]
              [--read-types <types>] [--delete-types <types>] [--directions <dirs>]
              [--read-directions <dirs>] [--delete-directions <dirs>]
                                     content permissions: lists with commas; 'all' = unrestricted
  clients update <clientId> [the permission options of add] [--json]
  clients list [--json]
  clients revoke <clientId>
  clients rotate <clientId> [--json] a new secret for a client (printed once; the old one stops working)
  seed --demo [--count N] [--account <id>] [--json]   sample interactions with real content
  verify [--repair] [--quick] [--json]   check every row against every blob, and the reverse
  audit verify [--account <id>]      walk each account's hash-chained ledger
  jobs list [--all] [--kind <kind>] [--json]   background jobs (active ones unless --all)
  jobs cancel <id> [--account <id>]  cancel a job
  jobs nodes [--json]                the nodes (servers, CLI commands) and whether they are alive
  import --from <url> --client-id <id> --client-secret <secret> --start <t> --end <t> [--account <id>]
         [--token-url <url>] [--rate 160/min] [--concurrency N] [--max-retries N] [--json]
                                     copy interactions and content from VCC or another ICS

Configuration comes from the environment (see README: PORT, HOST, ICS_DATA_DIR, ICS_DATABASE_URL, …).`;

/** Each command's own usage, for `ics <command> --help`. */
export const COMMAND_USAGE: Record<string, string> = {
  serve: `Usage: ics serve

Starts the HTTP server (what npm start runs) and runs until SIGTERM or SIGINT, then drains.
Configuration comes from the environment (PORT, HOST, ICS_DATA_DIR, ICS_DATABASE_URL, ICS_TLS_*, …).`,
  migrate: `Usage: ics migrate

Creates or upgrades the database schema and lists the migrations it applied.`,
  clients: `Usage:
  ics clients add --account <id> --scopes "<scopes>" [--name <text>] [--json]
                  [--read-types <types>] [--delete-types <types>] [--directions <dirs>]
                  [--read-directions <dirs>] [--delete-directions <dirs>]
  ics clients update <clientId> [the permission options of add] [--json]
  ics clients list [--json]
  ics clients revoke <clientId>
  ics clients rotate <clientId> [--json]

add prints the new client's id and secret once; rotate gives a client a new secret (printed once)
and the old one stops working; tokens already issued stay valid until they expire (revoke cuts them).
Content permissions: comma-separated content types or directions (inbound, outbound) a client may
read and delete; 'all' = unrestricted (the default); --directions sets both sides. update changes
only the options given, within 5 s for tokens already issued too.`,
  seed: `Usage: ics seed --demo [--count N] [--account <id>] [--json]

Adds N (default 20, 1 to 100000) sample interactions with real content over the last 24 hours.`,
  verify: `Usage: ics verify [--repair] [--quick] [--json]

Checks every content row against its blob and every blob against the rows; exit 1 when damage
remains, 2 when it could not run. --repair removes orphans and leftovers.`,
  audit: `Usage: ics audit verify [--account <id>]

Walks each account's hash-chained audit ledger; exit 1 at the first break.`,
  jobs: `Usage:
  ics jobs list [--all] [--kind <kind>] [--json]
  ics jobs cancel <id> [--account <id>]
  ics jobs nodes [--json]`,
  import: `Usage: ics import --from <url> --client-id <id> --client-secret <secret> --start <t> --end <t>
         [--account <id>] [--token-url <url>] [--rate 160/min] [--concurrency N] [--max-retries N]
         [--slice-days N] [--page-size N] [--json]

Copies interactions and content from VCC or another ICS into this one (see docs/import.md).`,
};

export class UsageError extends Error {}

type Command = (args: string[]) => Promise<number | undefined>;

// Loaded on demand: `ics clients list` need not load the HTTP server, the AWS SDK and the rest.
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).serveCommand,
  migrate: async () => (await import('./migrate.js')).migrateCommand,
  clients: async () => (await import('./clients.js')).clientsCommand,
  seed: async () => (await import('./seed.js')).seedCommand,
  verify: async () => (await import('./verify.js')).verifyCommand,
  audit: async () => (await import('./audit.js')).auditCommand,
  jobs: async () => (await import('./jobs.js')).jobsCommand,
  import: async () => (await import('./import.js')).importCommand,
};

/** Runs one command; returns the exit code. Errors become one clear line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`ics: unknown command '${name}' (try: ics --help)\n`);
    return 2;
  }
  // Help never runs the command, wherever it appears before a `--`.
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('--help') || options.includes('-h')) {
    process.stdout.write(`${COMMAND_USAGE[name] ?? USAGE}\n`);
    return 0;
  }
  try {
    const command = await load();
    return (await command(rest)) ?? 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ics: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`ics: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`ics: ${oneLine(err)}\n`);
    if (process.env.ICS_DEBUG) console.error(err);
    return 1;
  }
}

function oneLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`.replace(/\s*\n\s*/g, ' ');
}

/** The package's version, from the package.json beside src/ (or dist/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}
