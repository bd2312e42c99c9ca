import { loadConfig } from '../config.js';
import { KyselyJobStore } from '../jobs/kysely-job-store.js';
import { isNodeDead } from '../jobs/node-registry.js';
import { ACTIVE_STATUSES, type JobRecord } from '../jobs/types.js';
import { sqlHandle } from '../metadata/sql-handle.js';
import { parse } from './args.js';
import { withStore } from './context.js';
import { UsageError } from './main.js';

const USAGE =
  'usage: ics jobs list [--all] [--kind <kind>] [--json] | ics jobs cancel <id> [--account <id>] | ics jobs nodes [--json]';

/** `ics jobs`: what the durable job runner holds — its jobs and the nodes that work them. */
export async function jobsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    const { values } = parse(rest, {
      all: { type: 'boolean', default: false },
      kind: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const jobs = await withStore((store) =>
      new KyselyJobStore(sqlHandle(store)).listAllJobs({
        statuses: values.all ? undefined : ACTIVE_STATUSES,
        kind: values.kind,
        limit: 1000,
      }),
    );
    if (values.json) process.stdout.write(`${JSON.stringify(jobs)}\n`);
    else {
      for (const j of jobs) process.stdout.write(`${line(j)}\n`);
      if (jobs.length === 0) process.stdout.write(values.all ? 'no jobs\n' : 'no active jobs\n');
    }
    return 0;
  }
  if (sub === 'cancel') {
    const { values, positionals } = parse(rest, { account: { type: 'string', default: '' } }, true);
    if (positionals.length !== 1) throw new UsageError(USAGE);
    const job = await withStore((store) =>
      new KyselyJobStore(sqlHandle(store)).requestCancel(values.account, positionals[0], Date.now()),
    );
    if (!job) {
      process.stderr.write(`ics: no job '${positionals[0]}' in account '${values.account}'\n`);
      return 1;
    }
    process.stdout.write(
      job.status === 'cancelled'
        ? 'cancelled\n'
        : job.cancelRequested
          ? 'cancel requested: the job stops at its next checkpoint\n'
          : `job already ${job.status}\n`,
    );
    return 0;
  }
  if (sub === 'nodes') {
    const { values } = parse(rest, { json: { type: 'boolean', default: false } });
    const timeoutMs = loadConfig(process.env).nodes.timeoutMs;
    const now = Date.now();
    const nodes = (await withStore((store) => new KyselyJobStore(sqlHandle(store)).listNodes())).map((n) => ({
      ...n,
      alive: !isNodeDead(n, { now, timeoutMs }),
    }));
    if (values.json) process.stdout.write(`${JSON.stringify(nodes)}\n`);
    else
      for (const n of nodes)
        process.stdout.write(
          `${n.id}  ${n.role}  pid ${n.pid}  ${n.alive ? 'alive' : 'dead'}  heartbeat ${new Date(n.heartbeatAt).toISOString()}\n`,
        );
    return 0;
  }
  throw new UsageError(USAGE);
}

function line(j: JobRecord): string {
  const progress = j.progress ? ` ${JSON.stringify(j.progress)}` : '';
  const lease = j.leaseNode ? ` on ${j.leaseNode}` : '';
  const error = j.lastError ? ` last error: ${j.lastError}` : '';
  return `${j.kind}  ${j.account || '(system)'}/${j.id}  ${j.status}${lease}  next ${new Date(j.runAt).toISOString()}${progress}${error}`;
}
