import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildTestApp } from '../helpers/app.js';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');
const METRICS_TOKEN = 'metrics-token-0123456789';

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; message: string; location: { pointer?: string }[] }[];
}

/** `redocly lint` with the repository's redocly.yaml (the recommended rules) on the document. */
async function lint(t: { after(fn: () => Promise<void>): void }, doc: unknown): Promise<LintReport> {
  const dir = await mkdtemp(join(tmpdir(), 'ics-openapi-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'openapi.json');
  await writeFile(file, JSON.stringify(doc, null, 2));
  // Exit code 1 on errors, with the report on stdout all the same.
  const result = await run(
    REDOCLY,
    ['lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', file],
    {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    },
  ).catch((err: { stdout?: string; stderr?: string }) => {
    if (!err.stdout) throw new Error(`redocly lint did not run: ${err.stderr}`);
    return { stdout: err.stdout };
  });
  return JSON.parse(result.stdout) as LintReport;
}

const problems = (r: LintReport) =>
  r.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`).join('\n');

type Operation = {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: { type?: string; format?: string } }> };
};
const operations = (doc: { paths: Record<string, Record<string, Operation>> }) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );

for (const metricsToken of [undefined, METRICS_TOKEN]) {
  test(`the OpenAPI document passes redocly lint (recommended) with no problem${metricsToken ? ', metrics token set' : ''}`, async (t) => {
    const { app } = await buildTestApp(t, { env: metricsToken ? { ICS_METRICS_TOKEN: metricsToken } : {} });
    const doc = (await app.inject({ method: 'GET', url: '/interaction-content/openapi.json' })).json();
    const report = await lint(t, doc);
    assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 }, problems(report));

    const metrics = doc.paths['/metrics'].get as Operation;
    assert.deepEqual(metrics.security, metricsToken ? [{ metricsToken: [] }] : []);
  });
}

test('the document: operation ids, the Accept header, the upload body, token security, operations routes', async (t) => {
  const { app } = await buildTestApp(t);
  const doc = (await app.inject({ method: 'GET', url: '/interaction-content/openapi.json' })).json();
  assert.equal(doc.info.license.identifier, 'Apache-2.0');
  assert.ok(doc.servers.length > 0);
  for (const p of ['/healthz', '/readyz', '/metrics']) assert.ok(doc.paths[p]?.get, `${p} described`);

  const all = operations(doc);
  const ids = all.map((o) => o.op.operationId);
  assert.ok(
    ids.every((id) => id),
    `without operationId: ${all.filter((o) => !o.op.operationId).map((o) => `${o.method} ${o.path}`)}`,
  );
  assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');

  // Every JSON route of the three versioned APIs names its Accept header; the download (any Accept),
  // the certificate (application/jose), the token endpoint and the operations routes do not.
  const unversioned = new Set([
    'getContent',
    'getContent-head',
    'getErasureCertificate',
    'getErasureCertificate-head',
    'getCertificateKeys',
    'getCertificateKeys-head',
    'issueToken',
    'health',
    'health-head',
    'readiness',
    'readiness-head',
    'metrics',
    'metrics-head',
  ]);
  for (const { path, method, op } of all) {
    const accept = op.parameters?.find((p) => p.in === 'header' && p.name === 'accept');
    if (unversioned.has(op.operationId!)) assert.equal(accept, undefined, `${method} ${path}`);
    else assert.equal(accept?.required, true, `${method} ${path} documents Accept`);
  }
  const search = doc.paths['/interaction-content/interactions'].get;
  assert.match(JSON.stringify(search.parameters), /application\/vnd\.newvoicemedia\.v3\+json/);
  const exportJobs = doc.paths['/interaction-content-export/interactions/jobs'].get;
  assert.match(JSON.stringify(exportJobs.parameters), /application\/vnd\.newvoicemedia\.v1\+json/);

  const upload = doc.paths['/interaction-content/interactions/{guid}/content/{contentKey}'].put as Operation;
  assert.deepEqual(upload.requestBody?.content['*/*'].schema, { type: 'string', format: 'binary' });

  const token = doc.paths['/Auth/connect/token'].post as Operation;
  assert.deepEqual(token.security, [{ clientBasic: [] }, {}]);
  assert.equal(doc.components.securitySchemes.clientBasic.scheme, 'basic');
});
