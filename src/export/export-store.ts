import type { ContentTypeName, Direction } from '../core/types.js';
import type { StorageItem } from './types.js';

/** A content item that changed, as a recurring export finds it. */
export interface ChangedContent {
  guid: string;
  contentKey: string;
  lastModified: number;
}

/** The export feature's rows in the metadata database. Every read is scoped to one account. */
export interface ExportStore {
  /** Adds the item with its sealed credentials. Ids are fresh UUIDs, so it never collides. */
  createStorage(item: StorageItem, sealedCredentials: string): Promise<void>;
  /** The account's storage items, oldest first. */
  listStorage(account: string): Promise<StorageItem[]>;
  /** One item with its sealed credentials; undefined when absent or another account's. */
  getStorage(account: string, id: string): Promise<{ item: StorageItem; sealed: string } | undefined>;
  /** Removes it; false when absent or another account's. */
  deleteStorage(account: string, id: string): Promise<boolean>;
  /**
   * Content whose lastModified is in [from, to), of interactions that start at or after `startFrom`
   * (and have one of `directions`, of one of `types`, when given), in (lastModified, guid,
   * contentKey) order, strictly after `after`; at most `limit`.
   */
  listChangedContent(query: {
    account: string;
    from: number;
    to: number;
    startFrom: number;
    directions: readonly Direction[];
    types: readonly ContentTypeName[];
    after?: { lastModified: number; guid: string; contentKey: string };
    limit: number;
  }): Promise<ChangedContent[]>;
}
