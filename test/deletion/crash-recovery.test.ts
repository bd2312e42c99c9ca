// The SIGKILL test: a real `ics serve` process is killed at each fault point (ICS_TEST_FAULTS) or in
// the middle of an upload body, restarted without faults on the same data directory, and then the
// storage invariants are checked: nothing orphaned, nothing dangling, no temp files, an empty purge
// queue, deletions that committed stay deleted, and work that did not commit left no trace.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type ServerProcess, startServerProcess } from '../helpers/cli.js';
import {
  Api,
  type AuditItem,
  blobFiles,
  dataDirFor,
  purgeQueue,
  START_TIMEOUT_MS,
  serve,
  tempFiles,
  verifyJson,
  waitFor,
  wav,
} from './helpers.js';

interface File {
  key: string;
  body: Buffer;
  contentType: string;
  type?: string;
}

/** guid → content key → the bytes that key must serve. */
type Contents = Map<string, Map<string, Buffer>>;

interface Seeded {
  guids: string[];
  contents: Contents;
}

interface Scenario {
  name: string;
  /** The fault point and which hit of it kills, counted from the driven operation (seed uploads are added). */
  fault?: { point: string; nth?: number };
  interactions?: number;
  files?: (i: number) => File[];
  /** Runs the operation; it must end with the server dead by SIGKILL. */
  drive(ctx: { api: Api; seeded: Seeded; server: ServerProcess; dataDir: string }): Promise<void>;
  /** Runs after the kill, before the clean restart (e.g. a second crash, during recovery). */
  afterKill?(ctx: { dataDir: string }): Promise<void>;
  /** What must be stored after recovery; a guid left out must be gone entirely (interaction deleted). */
  expect(seeded: Seeded, ledger: AuditItem[]): Contents;
}

const defaultFiles = (): File[] => [
  { key: 'callRecording', body: wav(randomBytes(4000)), contentType: 'audio/wav' },
  {
    key: 'transcript',
    body: Buffer.from(JSON.stringify({ turns: [randomBytes(24).toString('hex')] })),
    contentType: 'application/json',
  },
  { key: 'scr-1', body: randomBytes(3000), contentType: 'video/webm', type: 'screenRecording' },
];

const copy = (c: Contents): Contents => new Map([...c].map(([g, files]) => [g, new Map(files)]));
const unchanged = (s: Seeded) => copy(s.contents);

/** The request runs into the fault: the connection must die without an answer. */
async function dies(request: Promise<Response>): Promise<void> {
  await assert.rejects(
    request.then(async (res) => {
      throw new assert.AssertionError({
        message: `expected the server to die, got ${res.status} ${await res.text()}`,
      });
    }),
    (err: unknown) => !(err instanceof assert.AssertionError),
  );
}

function replaceScenario(point: string, outcome: 'old' | 'new'): Scenario {
  const fresh = wav(randomBytes(5000));
  return {
    name: `${point} while replacing the call recording → ${outcome === 'old' ? 'the previous bytes stay' : 'the new bytes are served'}`,
    fault: { point },
    async drive({ api, seeded }) {
      await dies(
        api.fetch(`/interaction-content/interactions/${seeded.guids[0]}/content/callRecording`, {
          method: 'PUT',
          headers: { 'content-type': 'audio/wav' },
          body: fresh,
        }),
      );
    },
    expect(s) {
      const c = unchanged(s);
      if (outcome === 'new') c.get(s.guids[0])!.set('callRecording', fresh);
      return c;
    },
  };
}

function batchScenario(
  point: string,
  nth: number,
  gone: (ledger: AuditItem[], guids: string[]) => number,
): Scenario {
  return {
    name: `${point}:${nth} during a delete-batch of 10`,
    fault: { point, nth },
    interactions: 10,
    files: (i) => [{ key: 'callRecording', body: wav(randomBytes(1000 + i)), contentType: 'audio/wav' }],
    async drive({ api, seeded }) {
      await dies(api.deleteBatch(seeded.guids));
    },
    expect(s, ledger) {
      const c = unchanged(s);
      for (const g of s.guids.slice(0, gone(ledger, s.guids))) c.delete(g);
      return c;
    },
  };
}

/** Two uploads at once, a new attachment and a replacement, both killed while their bodies flow. */
const midBody: Scenario = {
  name: 'SIGKILL while two upload bodies are flowing (a new attachment, a replacement) → no orphan, no temp file',
  async drive({ api, seeded, server, dataDir }) {
    const slow = (key: string, type?: string) =>
      api.slowPut(seeded.guids[0], key, {
        declaredLength: 4 * 1024 * 1024,
        chunk: randomBytes(16 * 1024),
        everyMs: 20,
        type,
      });
    const uploads = [slow('att-1', 'attachment'), slow('callRecording')];
    // Bytes have reached both temp files and both keys are reserved: the kill lands mid-body.
    await waitFor('two partial temp files', async () => {
      let partial = 0;
      for (const name of await tempFiles(dataDir)) {
        if (((await stat(join(dataDir, 'blobs', '.tmp', name)).catch(() => undefined))?.size ?? 0) > 0)
          partial++;
      }
      return partial === 2;
    });
    assert.equal(
      purgeQueue(dataDir).filter((r) => r.reason === 'upload-intent').length,
      2,
      'both uploads reserved their keys',
    );
    server.child.kill('SIGKILL');
    for (const up of uploads) {
      const result = await up.done;
      up.stop();
      assert.ok(result.error, `the upload must fail with the server, got ${result.status}`);
    }
  },
  expect: unchanged,
};

const firstGuid = (s: Seeded) => s.guids[0];
const deletedGuids = (ledger: AuditItem[]) =>
  new Set(ledger.filter((e) => e.action === 'interaction.delete').map((e) => e.guid));

const scenarios: Scenario[] = [
  replaceScenario('upload.after-intent', 'old'),
  replaceScenario('upload.after-blob', 'old'),
  replaceScenario('upload.after-commit', 'new'),
  // The replaced blob is erased before the answer: killed after that erase, before the queue entry goes.
  replaceScenario('purge.after-blob-delete', 'new'),
  {
    name: 'delete.before-commit on DELETE content → everything still there',
    fault: { point: 'delete.before-commit' },
    async drive({ api, seeded }) {
      await dies(api.deleteContent(firstGuid(seeded), 'callRecording'));
    },
    expect: unchanged,
  },
  {
    name: 'delete.after-commit on DELETE content → the call recording and its screen recording are gone',
    fault: { point: 'delete.after-commit' },
    async drive({ api, seeded }) {
      await dies(api.deleteContent(firstGuid(seeded), 'callRecording'));
    },
    expect(s) {
      const c = unchanged(s);
      c.get(firstGuid(s))!.delete('callRecording');
      c.get(firstGuid(s))!.delete('scr-1');
      return c;
    },
  },
  {
    name: 'purge.after-blob-delete:2 on DELETE content (3 blobs) → all three gone',
    fault: { point: 'purge.after-blob-delete', nth: 2 },
    files: () => [
      ...defaultFiles(),
      { key: 'scr-2', body: randomBytes(2500), contentType: 'video/webm', type: 'screenRecording' },
    ],
    async drive({ api, seeded }) {
      await dies(api.deleteContent(firstGuid(seeded), 'callRecording'));
    },
    expect(s) {
      const c = unchanged(s);
      for (const k of ['callRecording', 'scr-1', 'scr-2']) c.get(firstGuid(s))!.delete(k);
      return c;
    },
  },
  {
    // Recovery's drain leases the queued entries, erases a blob and is killed: the next start must
    // take over entries leased by the dead process instead of waiting out the lease.
    name: 'delete.after-commit on DELETE interaction, then purge.after-blob-delete during start-up recovery → gone',
    fault: { point: 'delete.after-commit' },
    async drive({ api, seeded }) {
      await dies(api.deleteInteraction(firstGuid(seeded)));
    },
    async afterKill({ dataDir }) {
      await assert.rejects(
        startServerProcess(
          { ICS_DATA_DIR: dataDir, ICS_TEST_FAULTS: 'purge.after-blob-delete' },
          { timeoutMs: START_TIMEOUT_MS },
        ),
        /server exited during start-up/,
      );
      assert.equal(purgeQueue(dataDir).length, 3, 'the killed recovery left its leased entries');
    },
    expect(s) {
      const c = unchanged(s);
      c.delete(firstGuid(s));
      return c;
    },
  },
  // Killed inside the 5th interaction's transaction: the first 4 went, the 5th rolled back.
  batchScenario('delete.before-commit', 5, () => 4),
  // Killed after the 5th commit, before its blob was erased.
  batchScenario('delete.after-commit', 5, () => 5),
  // The 3rd blob erase kills. The background purge loop may erase a batch blob too (it also hits the
  // point), so the kill can come one interaction earlier; the ledger says how many committed.
  batchScenario('purge.after-blob-delete', 3, (ledger, guids) => {
    const deleted = deletedGuids(ledger);
    const k = guids.filter((g) => deleted.has(g)).length;
    assert.ok(k >= 1 && k <= 3, `1 to 3 interactions committed before the kill, ledger says ${k}`);
    assert.deepEqual(
      guids.slice(0, k).filter((g) => deleted.has(g)),
      guids.slice(0, k),
      'the batch deletes in order',
    );
    return k;
  }),
  midBody,
];

async function seed(api: Api, sc: Scenario): Promise<Seeded> {
  const guids: string[] = [];
  const contents: Contents = new Map();
  for (let i = 0; i < (sc.interactions ?? 2); i++) {
    const guid = await api.createInteraction();
    const files = new Map<string, Buffer>();
    for (const f of sc.files ? sc.files(i) : defaultFiles()) {
      await api.put(guid, f.key, f.body, { contentType: f.contentType, type: f.type });
      files.set(f.key, f.body);
    }
    guids.push(guid);
    contents.set(guid, files);
  }
  return { guids, contents };
}

const seedUploads = (sc: Scenario) =>
  Array.from(
    { length: sc.interactions ?? 2 },
    (_, i) => (sc.files ? sc.files(i) : defaultFiles()).length,
  ).reduce((a, b) => a + b, 0);

async function check(
  t: { after(fn: () => Promise<void>): void },
  sc: Scenario,
  dataDir: string,
  api: Api,
  seeded: Seeded,
) {
  const server = await serve(t, dataDir);
  const live = api.at(server.url);

  // Start-up recovery has finished before /healthz answers.
  assert.deepEqual(purgeQueue(dataDir), [], 'the purge queue is empty after start-up recovery');
  assert.deepEqual(await tempFiles(dataDir), [], 'no temp files are left');

  const [verify, ledger] = await Promise.all([verifyJson(dataDir), live.audit()]);
  const expected = sc.expect(seeded, ledger);
  const expectedCount = [...expected.values()].reduce((n, files) => n + files.size, 0);

  assert.deepEqual(verify.report.findings, [], 'ics verify finds nothing');
  assert.equal(verify.code, 0);
  assert.equal(verify.report.orphans, 0);
  assert.equal(verify.report.missing, 0);
  assert.equal(verify.report.mismatches, 0);
  assert.equal(verify.report.rows, expectedCount, 'content rows');
  assert.equal((await blobFiles(dataDir)).length, expectedCount, 'one blob file per content row');

  const ledgerDeleted = new Set(
    ledger.filter((e) => e.action === 'content.delete').map((e) => `${e.guid}/${e.contentKey}`),
  );
  for (const guid of seeded.guids) {
    const want = expected.get(guid);
    const keys = new Set([...seeded.contents.get(guid)!.keys(), ...(want?.keys() ?? []), 'att-1']);
    for (const key of keys) {
      const got = await live.download(guid, key);
      const bytes = want?.get(key);
      if (bytes) {
        assert.equal(got.status, 200, `${guid}/${key} is served`);
        assert.ok(got.bytes.equals(bytes), `${guid}/${key} serves its expected bytes`);
      } else {
        assert.equal(got.status, 404, `${guid}/${key} is not visible`);
      }
      const seededHere = seeded.contents.get(guid)!.has(key);
      if (seededHere)
        assert.equal(
          ledgerDeleted.has(`${guid}/${key}`),
          !bytes,
          `${guid}/${key}: deleted exactly when the ledger says so`,
        );
    }
    assert.equal(
      await live.interactionStatus(guid),
      want && want.size > 0 ? 200 : 404,
      `interaction ${guid}`,
    );
    assert.equal(
      deletedGuids(ledger).has(guid),
      !want,
      `interaction ${guid}: deleted exactly when the ledger says so`,
    );
  }
}

describe('crash recovery: SIGKILL at every fault point, restart, invariants hold', { concurrency: 2 }, () => {
  for (const sc of scenarios) {
    test(sc.name, async (t) => {
      const dataDir = await dataDirFor(t);
      const env: Record<string, string> = {};
      if (sc.fault) {
        const offset = sc.fault.point.startsWith('upload.') ? seedUploads(sc) : 0;
        env.ICS_TEST_FAULTS = `${sc.fault.point}:${(sc.fault.nth ?? 1) + offset}`;
      }
      const faulty = await serve(t, dataDir, env);
      const api = await Api.connect(faulty.url, dataDir);
      const seeded = await seed(api, sc);
      await sc.drive({ api, seeded, server: faulty, dataDir });
      assert.equal(await faulty.exited, 'SIGKILL', 'the server died by SIGKILL');
      await sc.afterKill?.({ dataDir });
      await check(t, sc, dataDir, api, seeded);
    });
  }
});
