import type { ContentService } from '../core/content-service.js';
import type { InteractionService } from '../core/interaction-service.js';
import type { InteractionWithContent } from '../core/types.js';
import { createHttpClient } from './http-request.js';
import type { ImportSummary } from './import-events.js';
import { Importer, type ImportHooks, type ImportOptions } from './importer.js';
import { RateLimiter, realTimer, type Timer } from './rate-limiter.js';
import type { RetryEvent, RetryPolicy } from './retry.js';
import { VccSourceClient } from './source-client.js';

export interface ImportRequest extends ImportOptions {
  source: {
    /** The API root, under which `/interactions` lives. */
    apiBase: URL;
    tokenUrl: URL;
    clientId: string;
    clientSecret: string;
    /** Interactions per search page (VCC allows up to 1000). */
    pageSize: number;
  };
  /** Spacing between requests to the source in ms; 0 = no limit. */
  rateIntervalMs: number;
  retry: RetryPolicy;
}

/** Wires the source client (HTTP, rate limit, retries) to the importer, runs it once, and cleans up. */
export async function runImport(
  target: {
    interactions: InteractionService;
    content: ContentService;
    store: {
      getInteractionWithContent(account: string, guid: string): Promise<InteractionWithContent | undefined>;
    };
  },
  request: ImportRequest,
  hooks: ImportHooks = {},
  opts: { signal?: AbortSignal; timer?: Timer } = {},
): Promise<ImportSummary> {
  const timer = opts.timer ?? realTimer;
  let retries = 0;
  const retry = {
    policy: request.retry,
    timer,
    onRetry: (e: RetryEvent) => {
      retries++;
      hooks.onEvent?.({ type: 'retry', ...e });
    },
  };
  const http = createHttpClient({ maxSockets: request.concurrency + 2 });
  try {
    const source = new VccSourceClient(
      { http, limiter: new RateLimiter(request.rateIntervalMs, timer), retry },
      { ...request.source, scope: 'interaction-content:read' },
    );
    const importer = new Importer({ source, ...target, retry }, request, hooks);
    const summary = await importer.run(opts.signal);
    summary.retries = retries;
    return summary;
  } finally {
    http.close();
  }
}
