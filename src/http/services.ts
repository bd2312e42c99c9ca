import type { CertificateService } from '../certificates/certificate-service.js';
import type { ClientService } from '../clients/client-service.js';
import type { AuditService } from '../core/audit-service.js';
import type { ContentService } from '../core/content-service.js';
import type { RequestContext } from '../core/context.js';
import type { DeletionService } from '../core/deletion-service.js';
import type { HoldService } from '../core/hold-service.js';
import type { InteractionService } from '../core/interaction-service.js';
import type { DeletionJobService } from '../deletion-jobs/deletion-job-service.js';
import type { ExportService } from '../export/export-service.js';
import type { RetentionService } from '../retention/retention-service.js';
import type { WebhookService } from '../webhooks/webhook-service.js';

/** The use-cases the routes call; each route calls one. */
export interface AppServices {
  interactions: InteractionService;
  content: ContentService;
  deletion: DeletionService;
  holds: HoldService;
  audit: AuditService;
  exports: ExportService;
  clients: ClientService;
  retention: RetentionService;
  deletionJobs: DeletionJobService;
  certificates: CertificateService;
  webhooks: WebhookService;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Actor and request id, for the services. */
    readonly ctx: RequestContext;
  }
}
