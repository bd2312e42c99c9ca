import { ConfigError } from '../config.js';

export const USAGE = `Usage: ics <command> [options]

Commands:
  serve                              start the HTTP server
  migrate                            create or upgrade the database schema
  clients add --account <id> --scopes "<scopes>" [--name <text>] [--json]
  clients list [--json]
  clients revoke <clientId>
  seed --demo [--count N] [--account <id>]   sample interactions with real content
  verify [--repair] [--json]         check every row against every blob, and the reverse
  audit verify [--account <id>]      walk each account's hash-chained ledger
  jobs list [--all] [--kind <kind>] [--json]   background jobs (active ones unless --all)
  jobs cancel <id> [--account <id>]  cancel a job
  jobs nodes [--json]                the nodes (servers, CLI commands) and whether they are alive
  import --from <url> --client-id <id> --client-secret <secret> --start <t> --end <t> [--account <id>]
         [--token-url <url>] [--rate 160/min] [--concurrency N] [--max-retries N] [--json]
                                     copy interactions and content from VCC or another ICS

Configuration comes from the environment (see README: PORT, HOST, ICS_DATA_DIR, ICS_DATABASE_URL, …).`;

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
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`ics: unknown command '${name}' (try: ics --help)\n`);
    return 2;
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
