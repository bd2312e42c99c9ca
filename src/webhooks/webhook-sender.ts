import http from 'node:http';
import https from 'node:https';
import { AddressPolicy, DeniedAddressError } from './address-policy.js';
import { CLOUDEVENTS_CONTENT_TYPE, SIGNATURE_HEADER } from './cloud-event.js';

// The HTTP seam of delivery: one POST per attempt over node:http(s) keep-alive agents, with a
// per-request timeout that covers connecting, sending and the whole answer. Redirects are not
// followed (a 3xx is a failed attempt), and the answer's body is read and dropped.

export interface SendOutcome {
  ok: boolean;
  /** The answer's HTTP status; null when there was none. */
  status: number | null;
  /** Why the attempt failed, for the deliveries list; null when it succeeded. */
  error: string | null;
}

export class WebhookSender {
  readonly #policy: AddressPolicy;
  readonly #agents: { http: http.Agent; https: https.Agent };

  constructor(
    private readonly opts: { timeoutMs: number; denyCidrs: readonly string[]; maxSockets: number },
  ) {
    this.#policy = new AddressPolicy(opts.denyCidrs);
    this.#agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets }),
      https: new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets }),
    };
  }

  async send(req: {
    url: string;
    body: string;
    signature: string;
    signal?: AbortSignal;
  }): Promise<SendOutcome> {
    const url = new URL(req.url);
    try {
      this.#policy.checkLiteral(url.hostname);
    } catch (err) {
      return { ok: false, status: null, error: (err as Error).message };
    }
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const secure = url.protocol === 'https:';
    const lib = secure ? https : http;
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const done = (o: SendOutcome) => {
        if (settled) return;
        settled = true;
        resolve(o);
      };
      const request = lib.request(url, {
        method: 'POST',
        agent: secure ? this.#agents.https : this.#agents.http,
        lookup: this.#policy.lookup,
        signal,
        headers: {
          'content-type': CLOUDEVENTS_CONTENT_TYPE,
          'content-length': Buffer.byteLength(req.body),
          'user-agent': 'ics-webhooks/1',
          [SIGNATURE_HEADER]: req.signature,
        },
      });
      const failed = (err: Error) => {
        if (timeout.aborted)
          done({ ok: false, status: null, error: `no answer within ${this.opts.timeoutMs} ms` });
        else if (req.signal?.aborted) done({ ok: false, status: null, error: 'stopped' });
        else done({ ok: false, status: null, error: describe(err) });
      };
      request.once('error', failed);
      request.once('response', (res) => {
        const status = res.statusCode ?? 0;
        res.once('error', failed);
        res.resume();
        res.once('end', () =>
          done({
            ok: status >= 200 && status < 300,
            status,
            error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
          }),
        );
      });
      request.end(req.body);
    });
  }

  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}

function describe(err: Error): string {
  if (err instanceof DeniedAddressError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${err.message}` : err.message;
}
