import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RequestContext } from '../core/context.js';
import { formatTime, parseTime } from '../core/time.js';
import { SCOPES } from '../core/types.js';
import { timeSlices } from '../import/importer.js';
import { parseRate } from '../import/rate-limiter.js';
import { DEFAULT_RETRY } from '../import/retry.js';
import { runImport } from '../import/run-import.js';
import { MAX_PAGE_SIZE } from '../import/source-client.js';
import { parse } from './args.js';
import { withServices } from './context.js';
import { jsonLinesReporter, ttyReporter } from './import-progress.js';
import { UsageError } from './main.js';

export const IMPORT_USAGE =
  'usage: ics import --from <API base URL> [--token-url <url>] --client-id <id> (--client-secret <secret> | --client-secret-file <path>) ' +
  '--start <date-time> --end <date-time> [--account <id>] [--rate 160/min] [--concurrency 4] [--max-retries 5] [--slice-days 7] [--page-size 1000] [--json]';

const DAY = 86_400_000;

/**
 * `ics import`: copies a window of interactions and their content from an Interaction Content API
 * server (VCC, or another ICS) into this one. Exit 0 when everything is there, 1 when something
 * failed (listed), 130 when interrupted (run it again to resume).
 */
export async function importCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    from: { type: 'string' },
    'token-url': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'client-secret-file': { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    account: { type: 'string', default: 'default' },
    rate: { type: 'string', default: 'unlimited' },
    concurrency: { type: 'string', default: '4' },
    'max-retries': { type: 'string', default: String(DEFAULT_RETRY.maxRetries) },
    'slice-days': { type: 'string', default: '7' },
    'page-size': { type: 'string', default: String(MAX_PAGE_SIZE) },
    json: { type: 'boolean', default: false },
  });
  const problems: string[] = [];
  const apiBase = values.from ? apiBaseOf(values.from) : undefined;
  if (!values.from) problems.push('--from is required');
  else if (!apiBase) problems.push(`--from must be an http(s) URL (got '${values.from}')`);
  let tokenUrl = apiBase && new URL('/Auth/connect/token', apiBase.origin);
  if (values['token-url']) {
    tokenUrl = httpUrl(values['token-url']);
    if (!tokenUrl) problems.push(`--token-url must be an http(s) URL (got '${values['token-url']}')`);
  }
  if (!values['client-id']) problems.push('--client-id is required');
  if (!values['client-secret'] === !values['client-secret-file'])
    problems.push('give one of --client-secret and --client-secret-file');
  const start = values.start === undefined ? undefined : parseTime(values.start);
  const end = values.end === undefined ? undefined : parseTime(values.end);
  if (start === undefined) problems.push('--start must be an ISO 8601 date-time');
  if (end === undefined) problems.push('--end must be an ISO 8601 date-time');
  if (start !== undefined && end !== undefined && end <= start) problems.push('--end must be after --start');
  const rateIntervalMs = parseRate(values.rate);
  if (rateIntervalMs === undefined)
    problems.push(`--rate must look like 160/min, 5/s or unlimited (got '${values.rate}')`);
  const concurrency = wholeNumber(values.concurrency, 1, 64, '--concurrency', problems);
  const maxRetries = wholeNumber(values['max-retries'], 0, 100, '--max-retries', problems);
  const sliceDays = wholeNumber(values['slice-days'], 1, 366, '--slice-days', problems);
  const pageSize = wholeNumber(values['page-size'], 1, MAX_PAGE_SIZE, '--page-size', problems);
  if (!values.account) problems.push('--account must not be empty');
  if (problems.length > 0) throw new UsageError(`${problems.join('; ')}\n${IMPORT_USAGE}`);

  const clientSecret = values['client-secret'] ?? (await readSecret(values['client-secret-file'] as string));
  const window = { start: start as number, end: end as number };
  const sliceMs = sliceDays * DAY;
  const ctx: RequestContext = {
    actor: {
      account: values.account,
      clientId: 'ics-import',
      subject: `ics-import ${(apiBase as URL).origin}`,
      scopes: new Set(SCOPES),
    },
    requestId: `import-${randomUUID()}`,
  };
  const reporter =
    process.stdout.isTTY && !values.json ? ttyReporter(process.stdout) : jsonLinesReporter(process.stdout);

  // Ctrl-C stops cleanly: uploads in flight are abandoned (their partial blobs erased), and a second
  // run skips what is there. A second Ctrl-C exits at once (the purge queue erases what is left).
  const controller = new AbortController();
  const interrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    const summary = await withServices(async (deps) => {
      reporter.start({
        from: (apiBase as URL).href,
        account: values.account,
        start: formatTime(window.start),
        end: formatTime(window.end),
        slices: timeSlices(window.start, window.end, sliceMs).length,
      });
      return runImport(
        { interactions: deps.services.interactions, content: deps.services.content, store: deps.store },
        {
          ctx,
          ...window,
          sliceMs,
          concurrency,
          // The target refuses uploads beyond its per-account limit: the import stays within it.
          maxUploads: deps.config.limits.maxConcurrentUploadsPerAccount,
          rateIntervalMs: rateIntervalMs as number,
          retry: { ...DEFAULT_RETRY, maxRetries },
          source: {
            apiBase: apiBase as URL,
            tokenUrl: tokenUrl as URL,
            clientId: values['client-id'] as string,
            clientSecret,
            pageSize,
          },
        },
        { onEvent: (e) => reporter.event(e), onBytes: (n) => reporter.bytes(n) },
        { signal: controller.signal },
      );
    });
    reporter.finish(summary);
    if (summary.fatal) process.stderr.write(`ics: import stopped: ${summary.fatal}\n`);
    if (summary.interrupted) return 130;
    return summary.fatal || summary.items.failed > 0 || summary.interactions.failed > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

const httpUrl = (text: string): URL | undefined => {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
};

/** The API root: as given, or `<origin>/interaction-content` when the URL names only a server. */
function apiBaseOf(text: string): URL | undefined {
  const url = httpUrl(text);
  if (!url) return undefined;
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/interaction-content';
  url.pathname = url.pathname.replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

function wholeNumber(raw: string, min: number, max: number, name: string, problems: string[]): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got '${raw}')`);
    return min;
  }
  return n;
}

async function readSecret(path: string): Promise<string> {
  try {
    const secret = (await readFile(path, 'utf8')).trim();
    if (!secret) throw new UsageError(`--client-secret-file ${path} is empty`);
    return secret;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --client-secret-file ${path}: ${(err as Error).message}`);
  }
}
