// Shared by the webhook tests: a real HTTP receiver in the test process, which verifies every
// notification exactly the way VCC's published Node consumer does (jsonwebtoken `verify` with the
// base64-DECODED secret, then a timing-safe compare of the body's SHA-256 with `payload_hash`).

import assert from 'node:assert/strict';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { DISPATCH_JOB } from '../../src/webhooks/types.js';
import type { TestApp } from '../helpers/app.js';

export const W1 = 'application/vnd.newvoicemedia.v1+json';

/** Test settings: fast polling and retries. */
export const FAST = {
  ICS_WEBHOOK_POLL_MS: '100',
  ICS_WEBHOOK_RETRY_BASE_MS: '100',
};

export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  event: CloudEvent;
}

export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype?: string;
  data: Record<string, unknown>;
}

/** What the receiver does with one request: answer with a status (after a delay), or never answer. */
export type Reply = { status: number; delayMs?: number } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Decides the answer to each request (default: 200). */
  respond: (r: Received) => Reply;
  /** Resolves once `n` requests (that satisfy `filter`) arrived. */
  waitFor(n: number, filter?: (r: Received) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(t: { after(fn: () => Promise<void>): void }): Promise<Receiver> {
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  const hanging = new Set<import('node:http').ServerResponse>();
  let server: Server;
  const receiver: Receiver = {
    url: '',
    received,
    respond: () => ({ status: 200 }),
    async waitFor(n, filter = () => true, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = received.filter(filter);
        if (got.length >= n) return got;
        if (Date.now() > deadline)
          throw new Error(`waited ${timeoutMs} ms for ${n} notifications, got ${got.length}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, 200).unref();
        });
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const r: Received = {
        at: Date.now(),
        path: req.url ?? '',
        headers: req.headers,
        raw,
        event: JSON.parse(raw.toString('utf8')) as CloudEvent,
      };
      received.push(r);
      for (const w of [...waiters]) w();
      const reply = receiver.respond(r);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      setTimeout(() => res.writeHead(reply.status).end(), reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => receiver.close());
  return receiver;
}

/**
 * VCC's consumer, verbatim in substance: the token after `Bearer `, jsonwebtoken's verify with the
 * decoded secret (throws on a bad signature or an expired token), then the payload hash compared in
 * constant time. Returns the decoded claims.
 */
export function verifyLikeVcc(r: Received, secretBase64: string): jwt.JwtPayload {
  const header = r.headers['vonage-signature'];
  assert.equal(typeof header, 'string', 'a Vonage-Signature header');
  const token = (header as string).substring('Bearer '.length);
  const decoded = jwt.verify(token, Buffer.from(secretBase64, 'base64')) as jwt.JwtPayload;
  const payloadHashBytes = createHash('sha256').update(r.raw).digest();
  const expectedHashBytes = Buffer.from(decoded.payload_hash as string, 'hex');
  assert.ok(timingSafeEqual(payloadHashBytes, expectedHashBytes), 'payload hash matches the body');
  return decoded;
}

/** Starts the app's job runner with the dispatcher, as `ics serve` does. */
export async function startDelivery(app: TestApp): Promise<void> {
  await app.deps.jobs.createJob(DISPATCH_JOB, Date.now());
  app.deps.runner.start();
}

/** JSON request to the Webhooks API (v1 Accept). */
export function webhooksApi(app: TestApp, token: string) {
  return (method: string, url: string, body?: unknown) =>
    app.app.inject({
      method: method as 'GET',
      url: `/webhooks${url}`,
      headers: {
        accept: W1,
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    });
}

export async function subscribe(
  call: ReturnType<typeof webhooksApi>,
  body: { name: string; url: string; events: string[]; enabled?: boolean; secret?: string },
): Promise<{ subscriptionId: string; secret: string }> {
  const res = await call('POST', '/subscriptions', body);
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}
