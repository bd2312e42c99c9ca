import type { SealedBox } from '../secrets/sealed-box.js';
import type { ExportStore } from './export-store.js';
import type { ExportDestination, S3Credentials, StorageItem } from './types.js';

/**
 * Storage items with their credentials: sealed on the way in, opened only where an export needs
 * them. The sealed value is bound to its account and id, so it cannot be moved to another item.
 */
export class Destinations {
  constructor(private readonly deps: { exports: ExportStore; box: SealedBox }) {}

  async add(item: StorageItem, credentials: S3Credentials): Promise<void> {
    const sealed = this.deps.box.seal(JSON.stringify(credentials), context(item.account, item.id));
    await this.deps.exports.createStorage(item, sealed);
  }

  /** The item with its credentials; undefined when absent. Throws UnsealError on a foreign key. */
  async open(account: string, id: string): Promise<ExportDestination | undefined> {
    const found = await this.deps.exports.getStorage(account, id);
    if (!found) return undefined;
    const credentials = JSON.parse(this.deps.box.unseal(found.sealed, context(account, id))) as S3Credentials;
    return { ...found.item, credentials };
  }
}

const context = (account: string, id: string) => `export-storage:${account}:${id}`;
