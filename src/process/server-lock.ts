import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Sqlite from 'better-sqlite3';

/** Another live server holds the lock: the one-line message names its pid. */
export class DataDirInUseError extends Error {
  constructor(
    readonly what: string,
    readonly holder: { pid?: number; host?: string } | undefined,
  ) {
    const who = holder?.pid ? ` (pid ${holder.pid}${holder.host ? ` on ${holder.host}` : ''})` : '';
    super(`${what} is in use by another ICS server${who}; stop it first or use another data directory`);
    this.name = 'DataDirInUseError';
  }
}

/**
 * The embedded default's proof that this is the only server on its SQLite database: an exclusive
 * lock the kernel holds for this process and drops the instant it dies (SIGKILL included), so a
 * second server refuses to start, and a restarted one knows that every earlier server is dead and
 * may recover all of their work. It is a fcntl lock taken through SQLite itself (an EXCLUSIVE
 * transaction that is never committed, on a lock file of its own), so no native addon beyond the
 * driver ICS already has is needed. CLI commands never take it: they run beside a live server.
 */
export class ServerLock {
  private constructor(
    private readonly db: Sqlite.Database,
    readonly path: string,
  ) {}

  static acquire(databasePath: string): ServerLock {
    const path = `${databasePath}.lock`;
    closeSync(openSync(path, 'a', 0o600));
    // A short busy timeout: `ics verify` may be probing the lock at this very moment (isHeld).
    const db = new Sqlite(path, { timeout: 2000 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY')
        throw new DataDirInUseError(`the SQLite database ${databasePath}`, readHolder(path));
      throw err;
    }
    writeFileSync(
      `${path}.json`,
      `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() })}\n`,
      { mode: 0o600 },
    );
    return new ServerLock(db, path);
  }

  /**
   * Whether a server holds the lock now (for CLI commands, which never take it): a read needs a
   * shared lock, which the holder's exclusive lock refuses.
   */
  static isHeld(databasePath: string): boolean {
    let db: Sqlite.Database | undefined;
    try {
      db = new Sqlite(`${databasePath}.lock`, { timeout: 0, readonly: true, fileMustExist: true });
      db.prepare('select count(*) from sqlite_master').get();
      return false;
    } catch (err) {
      return (err as { code?: string }).code === 'SQLITE_BUSY';
    } finally {
      db?.close();
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}

function readHolder(path: string): { pid?: number; host?: string } | undefined {
  try {
    const info = JSON.parse(readFileSync(`${path}.json`, 'utf8'));
    return {
      pid: Number(info.pid) || undefined,
      host: typeof info.host === 'string' ? info.host : undefined,
    };
  } catch {
    return undefined;
  }
}
