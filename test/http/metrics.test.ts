import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, V3 } from '../helpers/app.js';

interface Family {
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The Prometheus text exposition format (0.0.4), strictly: HELP and TYPE at most once per family and
 * before its samples, valid metric and label names, escaped label values, float values (NaN, ±Inf),
 * histogram buckets cumulative with +Inf equal to _count. Throws on any violation.
 */
function parsePrometheus(text: string): Map<string, Family> {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const families = new Map<string, Family>();
  const family = (name: string) => {
    const known = families.get(name);
    if (known) return known;
    const f: Family = { type: 'untyped', help: '', samples: [] };
    families.set(name, f);
    return f;
  };
  const owner = (sample: string) => {
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      const base = suffix ? sample.slice(0, -suffix.length) : sample;
      if (
        sample.endsWith(suffix) &&
        families.get(base)?.type === (suffix ? 'histogram' : families.get(base)?.type)
      )
        return base;
    }
    return sample;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      assert.match(name, NAME, line);
      const f = family(name);
      assert.equal(f.samples.length, 0, `${kind} of ${name} comes before its samples`);
      if (kind === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest), line);
        f.type = rest;
      } else f.help = rest;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[3] ?? '';
    const re = /([^=,]+)="((?:[^"\\]|\\["\\n])*)"(,|$)/y;
    let at = 0;
    while (at < body.length) {
      re.lastIndex = at;
      const lm = re.exec(body);
      assert.ok(lm, `labels of ${line}`);
      assert.match(lm[1], LABEL, line);
      assert.ok(!(lm[1] in labels), `label ${lm[1]} once`);
      labels[lm[1]] = lm[2].replace(/\\(["\\n])/g, (_s, c) => (c === 'n' ? '\n' : c));
      at = re.lastIndex;
    }
    const raw = m[4];
    assert.ok(/^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(raw), `value of ${line}`);
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    family(owner(m[1])).samples.push({ name: m[1], labels, value });
  }
  for (const [name, f] of families) {
    if (f.type !== 'histogram') continue;
    const series = new Map<string, { le: number; v: number }[]>();
    for (const s of f.samples.filter((x) => x.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [
        ...(series.get(key) ?? []),
        { le: le === '+Inf' ? Infinity : Number(le), v: s.value },
      ]);
    }
    for (const [key, buckets] of series) {
      assert.equal(buckets.at(-1)?.le, Infinity, `${name} ${key} ends with le="+Inf"`);
      for (let i = 1; i < buckets.length; i++)
        assert.ok(buckets[i].v >= buckets[i - 1].v, `${name} cumulative`);
      const count = f.samples.find((x) => x.name === `${name}_count` && JSON.stringify(x.labels) === key);
      assert.equal(count?.value, buckets.at(-1)?.v, `${name} ${key}: +Inf bucket = _count`);
    }
  }
  return families;
}

const TOKEN = 'metrics-token-0123456789';

test('GET /metrics: Prometheus text with requests, bytes, uploads, deletions, purge queue, refusals', async (t) => {
  const { app, api, seed, token } = await buildTestApp(t, {
    env: { ICS_METRICS_TOKEN: TOKEN, ICS_TOKEN_RATE_LIMIT_PER_CLIENT: '1' },
  });
  const bearer = await token();
  const guid = await seed(bearer);
  const held = await seed(bearer);
  await api({
    method: 'PUT',
    url: `/interaction-content/interactions/${held}/legal-hold`,
    token: bearer,
    body: { reason: 'x' },
  });
  await app.inject({
    method: 'GET',
    url: `/interaction-content/interactions/${guid}/content/callRecording`,
    headers: { authorization: `Bearer ${bearer}` },
  });
  await api({
    method: 'DELETE',
    url: `/interaction-content/interactions/${guid}/content/callRecording`,
    token: bearer,
  });
  await api({ method: 'DELETE', url: `/interaction-content/interactions/${held}`, token: bearer });
  // The same client id twice in a minute: the second token request is refused (429).
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const payload = 'grant_type=client_credentials&client_id=ics_same&client_secret=x';
  await app.inject({ method: 'POST', url: '/Auth/connect/token', headers: form, payload });
  assert.equal(
    (await app.inject({ method: 'POST', url: '/Auth/connect/token', headers: form, payload })).statusCode,
    429,
  );

  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
  assert.equal(
    (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } }))
      .statusCode,
    401,
  );
  const res = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const m = parsePrometheus(res.body);

  const sample = (family: string, name: string, labels: Record<string, string>) =>
    m
      .get(family)
      ?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      ?.value;
  assert.equal(m.get('ics_http_requests_total')?.type, 'counter');
  assert.equal(
    sample('ics_http_requests_total', 'ics_http_requests_total', {
      method: 'PUT',
      route: '/interaction-content/interactions/:guid/content/:contentKey',
      status: '201',
    }),
    2,
  );
  assert.equal(m.get('ics_http_request_duration_seconds')?.type, 'histogram');
  assert.equal(
    sample('ics_http_request_duration_seconds', 'ics_http_request_duration_seconds_count', {
      method: 'DELETE',
      route: '/interaction-content/interactions/:guid',
      status: '409',
    }),
    1,
  );
  assert.equal(sample('ics_uploads_total', 'ics_uploads_total', { outcome: 'created' }), 2);
  assert.equal(
    sample('ics_deletions_total', 'ics_deletions_total', { kind: 'content', outcome: 'deleted' }),
    1,
  );
  assert.equal(
    sample('ics_deletions_total', 'ics_deletions_total', { kind: 'interaction', outcome: 'held' }),
    1,
  );
  assert.equal(
    sample('ics_rate_limit_refusals_total', 'ics_rate_limit_refusals_total', {
      route: '/Auth/connect/token',
    }),
    1,
  );
  for (const name of [
    'ics_http_sent_bytes_total',
    'ics_http_received_bytes_total',
    'ics_dependency_errors_total',
  ])
    assert.equal(m.get(name)?.type, 'counter', name);
  const depth = sample('ics_purge_queue_depth', 'ics_purge_queue_depth', {});
  assert.ok(depth !== undefined && depth >= 0, `purge queue depth ${depth}`);
  const age = sample('ics_purge_queue_oldest_age_seconds', 'ics_purge_queue_oldest_age_seconds', {});
  assert.ok(age !== undefined && age >= 0);
  assert.ok(m.has('process_cpu_seconds_total') && m.has('nodejs_eventloop_lag_seconds'), 'process defaults');
  void V3;
});
