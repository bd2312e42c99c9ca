import { loadConfig } from '../config.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { openMetadataStore } from '../metadata/open-metadata-store.js';

/** Opens the configured metadata store (migrated) for one CLI command and closes it after. */
export async function withStore<T>(fn: (store: MetadataStore) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const store = await openMetadataStore(config.database);
  try {
    await store.migrate();
    return await fn(store);
  } finally {
    await store.close();
  }
}
