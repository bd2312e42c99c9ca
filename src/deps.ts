import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { AppDeps } from './app.js';
import { ClientCredentialsGrant } from './auth/client-credentials.js';
import { resolveClientSecretKey, SecretHasher } from './auth/secrets.js';
import { resolveSigningSecret } from './auth/signing-secret.js';
import { TokenIssuer } from './auth/token-issuer.js';
import { TokenVerifier } from './auth/token-verifier.js';
import type { BlobStore } from './blobs/blob-store.js';
import { openBlobStore } from './blobs/open-blob-store.js';
import { CertificateService } from './certificates/certificate-service.js';
import { CertificateKeys } from './certificates/signing-keys.js';
import { ClientService } from './clients/client-service.js';
import type { Config } from './config.js';
import { AuditService } from './core/audit-service.js';
import { ContentService } from './core/content-service.js';
import { CursorCodec } from './core/cursor.js';
import { DeletionService } from './core/deletion-service.js';
import { createFaults } from './core/faults.js';
import { HoldService } from './core/hold-service.js';
import { InteractionService } from './core/interaction-service.js';
import { Purger, type PurgerLogger } from './core/purger.js';
import { deletionJob } from './deletion-jobs/deletion-job.js';
import { DeletionJobService } from './deletion-jobs/deletion-job-service.js';
import { KyselyDeletionJobStore } from './deletion-jobs/kysely-deletion-job-store.js';
import { KyselyOutbox } from './events/outbox.js';
import { Destinations } from './export/destinations.js';
import { batchExportJob, recurringExportJob } from './export/export-jobs.js';
import { ExportService } from './export/export-service.js';
import { InteractionExporter } from './export/exporter.js';
import { KyselyExportStore } from './export/kysely-export-store.js';
import { S3ExportTarget } from './export/s3-export-target.js';
import { consoleOptions } from './http/console.js';
import { checkReadiness } from './http/readiness.js';
import { readTlsFiles, type TlsFiles } from './http/tls.js';
import type { JobStore } from './jobs/job-store.js';
import { KyselyJobStore } from './jobs/kysely-job-store.js';
import { NodeLeases } from './jobs/leases.js';
import { NodeRegistry } from './jobs/node-registry.js';
import { purgeJob } from './jobs/purge-job.js';
import { JobRunner } from './jobs/runner.js';
import type { NodeRole } from './jobs/types.js';
import type { MetadataStore } from './metadata/metadata-store.js';
import { openMetadataStore } from './metadata/open-metadata-store.js';
import { sqlHandle } from './metadata/sql-handle.js';
import { readPurgeQueueStats } from './metrics/purge-queue-stats.js';
import { openBucketStore } from './rate-limit/open-bucket-store.js';
import type { BucketStore } from './rate-limit/token-bucket.js';
import { KyselyRetentionStore } from './retention/kysely-retention-store.js';
import { RetentionService } from './retention/retention-service.js';
import { retentionSweepJob } from './retention/sweep-job.js';
import { openSealedBox } from './secrets/sealed-box.js';
import { deliveryJob } from './webhooks/delivery-job.js';
import { dispatchJob } from './webhooks/dispatch-job.js';
import { KyselyWebhookStore } from './webhooks/kysely-webhook-store.js';
import { WebhookSender } from './webhooks/webhook-sender.js';
import { WebhookService } from './webhooks/webhook-service.js';

export interface Deps extends AppDeps {
  config: Config;
  store: MetadataStore;
  blobs: BlobStore;
  purger: Purger;
  issuer: TokenIssuer;
  jobs: JobStore;
  /** This process as a node (registered and heart-beating from createDeps on). */
  node: NodeRegistry;
  /** The job runner, with every handler registered; startServer starts it after recovery. */
  runner: JobRunner;
  /** The key that seals stored secrets: its id, and whether it came from ICS_SECRETS_KEY or the data directory. */
  secretsKey: { id: string; source: 'config' | 'file' };
  /** The certificate the server started with (ICS_TLS_*); SIGHUP re-reads the files. */
  tlsFiles: TlsFiles | undefined;
  close(): Promise<void>;
}

/** The one place that picks implementations and wires the services together. */
export async function createDeps(
  config: Config,
  opts: {
    logger?: FastifyServerOptions['logger'];
    /** The process's logger for the HTTP server (main.ts); takes precedence over `logger`. */
    loggerInstance?: FastifyBaseLogger;
    /** Where the job runner, purger and node registry log; absent, nowhere. */
    log?: PurgerLogger;
    role?: NodeRole;
    /**
     * The job thread (src/job-thread.ts): the node registered by the serving thread, whose beats
     * it relays. This registry never registers, beats or stops it.
     */
    relayedNodeId?: string;
  } = {},
): Promise<Deps> {
  // First: a missing or mismatched certificate stops start-up before anything is opened.
  const tlsFiles = config.http.tls ? await readTlsFiles(config.http.tls) : undefined;
  const store = await openMetadataStore(config.database);
  let blobs: BlobStore | undefined;
  let node: NodeRegistry | undefined;
  let buckets: BucketStore | undefined;
  try {
    // The job thread opens its store after the serving thread migrated it (src/job-thread.ts).
    if (opts.relayedNodeId === undefined) await store.migrate();
    const b = await openBlobStore(config.blobs);
    blobs = b;
    const secret = await resolveSigningSecret(config.auth.tokenSecret, store);
    const hasher = new SecretHasher(await resolveClientSecretKey(store));
    const faults = createFaults(config.testFaults);
    const log = opts.log ?? { warn() {}, info() {} };
    const purger = new Purger({ store, blobs: b, log, faults });
    const jobs = new KyselyJobStore(sqlHandle(store));
    const registry = new NodeRegistry(
      { jobs, store, log },
      { role: opts.role ?? 'cli', timeoutMs: config.nodes.timeoutMs, relayedId: opts.relayedNodeId },
    );
    await registry.register();
    node = registry;
    registry.start();
    const runner = new JobRunner({ jobs, node: registry, log });
    runner.register(purgeJob({ purger, blobs: b }, { intervalMs: 5000 }));
    const sealed = await openSealedBox({ configuredKey: config.secrets.key, dataDir: config.dataDir });
    const exportStore = new KyselyExportStore(sqlHandle(store));
    const destinations = new Destinations({ exports: exportStore, box: sealed.box });
    const targets = (dest: ConstructorParameters<typeof S3ExportTarget>[0]) =>
      new S3ExportTarget(dest, { sockets: config.export.concurrency + 2 });
    const exportJobs = {
      store,
      exports: exportStore,
      destinations,
      targets,
      exporter: new InteractionExporter(
        { blobs: b, store, faults },
        { concurrency: config.export.concurrency },
      ),
      faults,
    };
    runner.register(batchExportJob(exportJobs, config.export));
    runner.register(recurringExportJob(exportJobs, config.export));
    const webhooks = new KyselyWebhookStore(sqlHandle(store));
    const sender = new WebhookSender({
      timeoutMs: config.webhooks.timeoutMs,
      denyCidrs: config.webhooks.denyCidrs,
      maxSockets: config.webhooks.concurrency,
    });
    const poke = () => runner.poke();
    runner.register(dispatchJob({ store, webhooks, jobs, poke }, config.webhooks));
    runner.register(deliveryJob({ webhooks, sender, box: sealed.box, faults }, config.webhooks));
    const issuer = new TokenIssuer({ secret, ttlSeconds: config.auth.tokenTtlSeconds });
    const verifier = new TokenVerifier({
      secret,
      oidc: config.auth.oidc,
      maxLifetimeSeconds: config.auth.tokenTtlSeconds,
      client: async (id) => {
        const c = await store.getClient(id);
        if (c === undefined || c.revokedAt !== null) return undefined;
        return { account: c.account, permissions: c.permissions };
      },
    });
    const cursors = new CursorCodec(secret);
    const events = new KyselyOutbox();
    const bucketStore = await openBucketStore(config.redis);
    buckets = bucketStore;
    const retentionStore = new KyselyRetentionStore(sqlHandle(store));
    const retention = new RetentionService(
      { store, retention: retentionStore, jobs, poke: () => runner.poke() },
      { graceMs: config.retention.graceMs },
    );
    const deletion = new DeletionService({
      store,
      purger,
      locks: new NodeLeases({ jobs, node: registry }),
      faults,
      events,
    });
    const deletionJobItems = new KyselyDeletionJobStore(sqlHandle(store));
    runner.register(
      deletionJob(
        { store, items: deletionJobItems, deletion, events, faults, log },
        {
          batchSize: config.deletionJobs.batchSize,
          txBudgetMs: config.deletionJobs.txBudgetMs,
          restPercent: config.deletionJobs.restPercent,
          eraseRetryMs: [100, 500, 2000],
          matchPageSize: 500,
          recheckMs: config.deletionJobs.recheckMs,
        },
      ),
    );
    const deletionJobs = new DeletionJobService({ jobs, items: deletionJobItems, poke: () => runner.poke() });
    runner.register(
      retentionSweepJob(
        { store, retention: retentionStore, deletion, events, faults },
        {
          intervalMs: config.retention.sweepIntervalMs,
          batchSize: config.retention.batchSize,
          txSize: config.retention.txSize,
          restPercent: config.retention.restPercent,
        },
      ),
    );
    const services = {
      interactions: new InteractionService(
        { store, cursors },
        { searchWindowMs: config.limits.searchWindowMs },
      ),
      content: new ContentService(
        { store, blobs: b, purger, faults, events, node: registry },
        {
          maxUploadBytes: config.limits.maxUploadBytes,
          maxConcurrentUploadsPerAccount: config.limits.maxConcurrentUploadsPerAccount,
        },
      ),
      deletion,
      holds: new HoldService({
        store,
        events,
        onReleased: (account) => {
          deletionJobs
            .holdReleased(account)
            .catch((err) => log.warn({ err }, 'could not wake deletion jobs after a hold release'));
          retention
            .holdReleased(account)
            .catch((err) => log.warn({ err }, 'could not ask for a retention sweep after a hold release'));
        },
      }),
      audit: new AuditService({ store }),
      exports: new ExportService(
        { exports: exportStore, destinations, jobs, targets, poke: () => runner.poke() },
        { allowedEndpoints: config.export.allowedEndpoints },
      ),
      clients: new ClientService({ store }),
      retention,
      deletionJobs,
      certificates: new CertificateService({
        jobs: deletionJobs,
        items: deletionJobItems,
        keys: new CertificateKeys({ sql: sqlHandle(store), box: sealed.box }),
      }),
      webhooks: new WebhookService(
        { store, webhooks, jobs, box: sealed.box, poke },
        { denyCidrs: config.webhooks.denyCidrs },
      ),
    };
    return {
      config,
      store,
      blobs: b,
      purger,
      issuer,
      jobs,
      node: registry,
      runner,
      secretsKey: { id: sealed.box.keyId, source: sealed.source },
      services,
      verifier,
      grant: new ClientCredentialsGrant({ clients: store, hasher, issuer }),
      logger: opts.logger,
      loggerInstance: opts.loggerInstance,
      console: consoleOptions(config),
      rateLimits: { store: bucketStore, limits: config.rateLimits },
      timeouts: config.timeouts,
      trustProxy: config.http.trustProxy,
      metrics: { token: config.metrics.token, purgeQueue: () => readPurgeQueueStats(sqlHandle(store)) },
      tls: tlsFiles,
      tlsFiles,
      ready: () => checkReadiness({ database: () => store.ping(), storage: () => b.ping() }),
      async close() {
        await runner.stop();
        await registry.stop().catch((err) => log.warn({ err }, 'could not mark this node stopped'));
        await purger.stop();
        sender.close();
        await bucketStore.close();
        await b.close();
        await store.close();
      },
    };
  } catch (err) {
    await node?.stop().catch(() => undefined);
    await buckets?.close().catch(() => undefined);
    await blobs?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}
