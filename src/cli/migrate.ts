import { withStore } from './context.js';

export async function migrateCommand(): Promise<number> {
  await withStore(async () => undefined);
  process.stdout.write('database schema is up to date\n');
  return 0;
}
