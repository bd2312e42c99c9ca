import { withStore } from './context.js';

/** `ics migrate`: applies pending migrations and names each one (withStore runs them). */
export async function migrateCommand(): Promise<number> {
  const applied = await withStore(async (_store, migrated) => migrated);
  if (applied.length === 0) process.stdout.write('database schema is up to date; nothing to apply\n');
  else
    process.stdout.write(
      `applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}\n`).join('')}database schema is up to date\n`,
    );
  return 0;
}
