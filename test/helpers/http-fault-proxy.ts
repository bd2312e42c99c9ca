import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// An HTTP proxy on 127.0.0.1 in front of a real server that a test programs to misbehave: answer a
// status of its choice, reset the connection, or cut a response off halfway through its body.
// Everything else is passed through byte for byte. It logs every request it saw, with the time.

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Close the connection before any answer. */
  | { kind: 'reset' }
  /** Forward, send the headers and half of the body, then close the connection. */
  | { kind: 'drop-mid-body' };

interface Rule {
  match: (req: { method: string; path: string }) => boolean;
  fault: Fault;
  /** How many more requests it applies to (Infinity: all). */
  times: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  at: number;
  fault: Fault['kind'] | 'pass';
}

export class HttpFaultProxy {
  readonly #rules: Rule[] = [];
  readonly #sockets = new Set<Socket>();
  readonly seen: SeenRequest[] = [];
  #server: http.Server | undefined;
  readonly #agent = new http.Agent({ keepAlive: true });
  url = '';

  constructor(private readonly target: string) {}

  /** Applies `fault` to the next `times` requests that `match`. */
  add(match: Rule['match'], fault: Fault, times = 1): this {
    this.#rules.push({ match, fault, times });
    return this;
  }

  clear(): void {
    this.#rules.length = 0;
  }

  async start(): Promise<this> {
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#agent.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const rule = this.#rules.find((r) => r.times > 0 && r.match({ method, path }));
    if (rule) rule.times--;
    const fault = rule?.fault;
    this.seen.push({ method, path, at: Date.now(), fault: fault?.kind ?? 'pass' });
    if (fault?.kind === 'status') {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? JSON.stringify({ message: `injected ${fault.status}` }));
      return;
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const upstream = http.request(
      new URL(path, this.target),
      { method, headers: req.headers, agent: this.#agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (fault?.kind !== 'drop-mid-body') {
          up.pipe(res);
          return;
        }
        const half = Math.floor(Number(up.headers['content-length'] ?? 0) / 2);
        let sent = 0;
        up.on('data', (chunk: Buffer) => {
          if (sent >= half) return;
          const part = chunk.subarray(0, half - sent);
          sent += part.length;
          res.write(part);
          if (sent >= half) {
            up.destroy();
            // Let the half that was written leave, then cut the connection.
            setTimeout(() => res.socket?.destroy(), 20);
          }
        });
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  }
}
