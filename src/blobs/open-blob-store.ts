import type { BlobConfig } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';

/**
 * The configured BlobStore, checked before the server starts: a missing bucket, an unreachable
 * endpoint, rejected credentials or an unwritable directory fail start-up with one
 * StoreUnavailableError that says which.
 */
export async function openBlobStore(config: BlobConfig): Promise<BlobStore> {
  // The AWS SDK is loaded only when S3 is configured: otherwise it would be most of the process's memory.
  const store =
    config.kind === 'fs'
      ? new FsBlobStore(config.root)
      : new (await import('./s3-blob-store.js')).S3BlobStore({ config, credentials: config.credentials });
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
