// Child process for sqlite-metadata-store.test.ts: a second process (like the `ics` CLI) writing to
// the server's SQLite file. Usage: sqlite-writer.ts <path> <account> <count>
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { auditDraft, T0 } from './fixtures.js';

const [path, account, count] = process.argv.slice(2);
const store = await openMetadataStore({ kind: 'sqlite', path });
try {
  await store.migrate();
  for (let i = 0; i < Number(count); i++) {
    await store.transaction(
      (tx) => tx.appendAudit(account, auditDraft({ at: T0 + i, reason: 'child' })).entry,
    );
  }
} finally {
  await store.close();
}
