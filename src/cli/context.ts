import { loadConfig } from '../config.js';
import type { Deps } from '../deps.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { openMetadataStore } from '../metadata/open-metadata-store.js';

/** Opens the configured metadata store (migrated) for one CLI command and closes it after. */
export async function withStore<T>(fn: (store: MetadataStore, migrated: string[]) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const store = await openMetadataStore(config.database);
  try {
    const migrated = await store.migrate();
    return await fn(store, migrated);
  } finally {
    await store.close();
  }
}

/**
 * Opens the configured stores and the core services (as the server wires them) for one CLI command
 * that writes content, and closes them after. Commands that run beside a live server use this, so
 * whatever the server needs to know about other writers applies to them too.
 */
export async function withServices<T>(fn: (deps: Deps) => Promise<T>): Promise<T> {
  // Loaded here, not at the top: `ics clients list` need not load the services and the AWS SDK.
  const { createDeps } = await import('../deps.js');
  const config = loadConfig(process.env);
  const { createLogger } = await import('../logging.js');
  // stdout is the command's answer; its log (the job runner's, the purger's) goes to stderr as JSON.
  const deps = await createDeps(config, {
    log: createLogger({ level: config.logLevel, fd: 2 }),
  });
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}
