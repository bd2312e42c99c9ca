import { CompiledQuery, type DatabaseConnection, type QueryResult } from 'kysely';

/**
 * One PostgreSQL transaction's connection, driven through node-postgres' pipeline mode (the pool's
 * clients are created with `pipeline: true`): every statement goes on the wire as soon as it is
 * issued, and the server runs them in order.
 *
 * - `send` is for statements whose result nobody reads (BEGIN, inserts into the purge queue, the
 *   ledger and the outbox, counter updates): they are not waited for, so they ride along with the
 *   next statement that is, or with COMMIT. A failure is kept and thrown by the next `run` or by
 *   `commit`: the server has aborted the transaction by then, so nothing after it takes effect.
 * - `defer` is `send` for a statement whose result is read later, if at all (a ledger append).
 * - `run` sends and waits; several `run`s issued together share one round trip.
 *
 * Order is the wire order, so a statement sees the effects of every statement issued before it, and
 * under READ COMMITTED each statement takes its snapshot when the server starts it: a read issued
 * right behind a row lock runs after the lock is granted and sees what the previous holder committed.
 */
/** A statement that commits with a WAL flush and takes no lock (see PgPipeline.commit). */
const FLUSH = "select pg_catalog.pg_logical_emit_message(true, 'ics.flush', '')";
const ASYNCHRONOUS = CompiledQuery.raw('set local synchronous_commit = off');

export class PgPipeline {
  readonly #conn: DatabaseConnection;
  #inFlight: Promise<void>[] = [];
  #failure: { error: unknown } | undefined;
  #asynchronous = false;

  constructor(conn: DatabaseConnection) {
    this.#conn = conn;
  }

  /** The first failure of a statement that was sent and not waited for, if any. */
  get failure(): unknown {
    return this.#failure?.error;
  }

  send(query: CompiledQuery): void {
    this.#inFlight.push(
      this.#conn.executeQuery(query).then(
        () => undefined,
        (error: unknown) => {
          this.#failure ??= { error };
        },
      ),
    );
  }

  /**
   * `send` for a statement whose result is read later, if at all (a ledger append): not waited for,
   * its failure kept like `send`'s (so COMMIT fails with it), and its result as a promise.
   */
  defer<R>(query: CompiledQuery<R>): Promise<QueryResult<R>> {
    const result = this.#conn.executeQuery(query) as Promise<QueryResult<R>>;
    this.#inFlight.push(
      result.then(
        () => undefined,
        (error: unknown) => {
          this.#failure ??= { error };
        },
      ),
    );
    return result;
  }

  async run<R>(query: CompiledQuery<R>): Promise<QueryResult<R>> {
    const before = this.#inFlight;
    this.#inFlight = [];
    let result: QueryResult<R> | undefined;
    let error: { error: unknown } | undefined;
    try {
      result = await this.#conn.executeQuery(query);
    } catch (err) {
      error = { error: err };
    }
    // Sent earlier, so already answered: this only collects their outcome.
    await Promise.all(before);
    // The earlier failure is the cause; this statement would only report the aborted transaction.
    if (this.#failure) throw this.#failure.error;
    if (error) throw error.error;
    return result as QueryResult<R>;
  }

  /**
   * Lets this transaction commit without waiting for its WAL flush (`set local synchronous_commit =
   * off`), for a transaction about to take a lock others queue for (the account's ledger head):
   * commit() then flushes after the locks are released. Sent once, without waiting.
   */
  asynchronous(): void {
    if (this.#asynchronous) return;
    this.#asynchronous = true;
    this.send(ASYNCHRONOUS);
  }

  /**
   * Sends COMMIT behind everything in flight, and resolves once the commit is durable; throws if any
   * of it failed (nothing is committed then).
   *
   * A transaction that holds only locks nobody waits for (an upload's interaction, a new row)
   * commits synchronously: COMMIT answers once its WAL is flushed. One that took a contended lock
   * called asynchronous() first, so it commits without waiting for its flush, and its row locks
   * (the account's ledger head) are released before the disk is touched; the flush is made by the
   * statement sent right behind COMMIT, on the same round trip: a transaction of its own that writes
   * one WAL record (a logical-decoding message, `pg_logical_emit_message(true, …)`: no table, no
   * lock) and so commits with a flush of the WAL up to its own commit record (synchronous_commit as
   * the server sets it), which lies after this one's. The WAL is one sequence, so that flush makes
   * this commit durable too; concurrent flushes share one fsync (PostgreSQL's group commit). (A
   * transaction that only takes an id, `txid_current()`, writes no WAL before its commit record and
   * commits without a flush: test/metadata/pg-durable-commit.test.ts caught that.)
   */
  async commit(): Promise<void> {
    let res: QueryResult<unknown>;
    if (this.#asynchronous) {
      const committed = this.defer(CompiledQuery.raw('commit'));
      await this.run(CompiledQuery.raw(FLUSH));
      res = await committed;
    } else res = await this.run(CompiledQuery.raw('commit'));
    // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK, not an error.
    if ((res.rows[0] as { command?: string } | undefined)?.command === 'ROLLBACK')
      throw new Error('PostgreSQL rolled the transaction back instead of committing it');
  }

  /** How every transaction that commit() ends begins: READ COMMITTED, whatever the server's default. */
  static readonly BEGIN = CompiledQuery.raw('start transaction isolation level read committed');

  /** Ends the transaction after a failure; a connection that cannot even do that is reported by pg. */
  async rollback(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#inFlight = [];
    await this.#conn.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
  }
}
