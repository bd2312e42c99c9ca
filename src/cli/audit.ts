import { AuditService } from '../core/audit-service.js';
import { parse } from './args.js';
import { withStore } from './context.js';
import { UsageError } from './main.js';

/** `ics audit verify`: walks every account's hash chain; exit 1 at the first break of any. */
export async function auditCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify') throw new UsageError('usage: ics audit verify [--account <id>] [--json]');
  const { values } = parse(rest, { account: { type: 'string' }, json: { type: 'boolean', default: false } });
  const reports = await withStore((store) =>
    new AuditService({ store }).verify(values.account ? [values.account] : undefined),
  );
  const broken = reports.filter((r) => r.break);
  if (values.json)
    process.stdout.write(`${JSON.stringify({ ok: broken.length === 0, accounts: reports })}\n`);
  else {
    for (const r of reports) {
      process.stdout.write(
        r.break
          ? `account ${r.account}: BROKEN at seq ${r.break.seq}: ${r.break.problem}\n`
          : r.entries === 0
            ? `account ${r.account}: no ledger entries\n`
            : `account ${r.account}: ${r.entries} entries, chain intact\n`,
      );
    }
    if (reports.length === 0) process.stdout.write('no audit entries\n');
  }
  return broken.length === 0 ? 0 : 1;
}
