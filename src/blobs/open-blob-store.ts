import type { BlobConfig } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

/**
 * The configured BlobStore, checked before the server starts: a missing bucket, an unreachable
 * endpoint, rejected credentials or an unwritable directory fail start-up with one
 * StoreUnavailableError that says which.
 */
export async function openBlobStore(config: BlobConfig): Promise<BlobStore> {
  const store =
    config.kind === 'fs'
      ? new FsBlobStore(config.root)
      : new S3BlobStore({ config, credentials: config.credentials });
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
