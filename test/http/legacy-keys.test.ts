import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, type TestApp, V3 } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

// Older VCC voicemails have the literal unique id `voicemail-<agentId>`. Such keys are real keys:
// uploaded, listed, read and deleted exactly; without a literal item the key keeps its older meaning,
// "the voicemails owned by that agent".

const I = '/interaction-content/interactions';
const VM = '0f8fad5b-d9cb-469f-a165-70867728950e';

async function blobKeys(h: TestApp): Promise<string[]> {
  const keys: string[] = [];
  for await (const b of h.deps.blobs.list()) keys.push(b.key);
  return keys.sort();
}

describeBackends('legacy voicemail keys', (backend) => {
  async function setup(t: Parameters<typeof buildTestApp>[0]) {
    const h = await buildTestApp(t, { backend });
    const bearer = await h.token();
    // A voicemail for agent 123 under a unique id, as newer VCC versions store it.
    const guid = await h.seed(bearer, {
      files: [
        { key: VM, body: 'new-style', contentType: 'audio/wav', type: 'voicemail', owningAgentId: '123' },
      ],
    });
    const put = (key: string, query: string, body: string) =>
      h.app.inject({
        method: 'PUT',
        url: `${I}/${guid}/content/${key}${query}`,
        headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'audio/wav' },
        payload: body,
      });
    const get = (key: string) =>
      h.app.inject({
        method: 'GET',
        url: `${I}/${guid}/content/${key}`,
        headers: { authorization: `Bearer ${bearer}` },
      });
    const del = (key: string) =>
      h.api({ method: 'DELETE', url: `${I}/${guid}/content/${key}`, token: bearer });
    const listing = async () =>
      (await h.api({ method: 'GET', url: `${I}/${guid}`, token: bearer })).json().content as {
        contentKey: string;
        type: string;
        contentLength: number;
        owningAgent?: { id: string };
      }[];
    return { h, bearer, guid, put, get, del, listing };
  }

  test('PUT stores the literal key; list, GET and DELETE address it exactly', async (t) => {
    const { h, bearer, put, get, del, listing } = await setup(t);

    const created = await put('voicemail-123', '?type=voicemail', 'legacy');
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().contentKey, 'voicemail-123');
    assert.equal(created.json().type, 'voicemail');
    assert.deepEqual(created.json().owningAgent, { id: '123' }, 'the owning agent comes from the key');

    const items = await listing();
    const legacy = items.find((c) => c.contentKey === 'voicemail-123');
    assert.deepEqual(legacy && { type: legacy.type, len: legacy.contentLength }, {
      type: 'voicemail',
      len: 6,
    });
    const search = await h.api({
      method: 'GET',
      url: `${I}?start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z`,
      token: bearer,
    });
    const keys = search
      .json()
      .items[0].content.map((c: { contentKey: string }) => c.contentKey)
      .sort();
    assert.deepEqual(keys, [VM, 'voicemail-123']);

    // The literal item wins over "agent 123's voicemails" (which would be ambiguous here: two items).
    assert.equal((await get('voicemail-123')).body, 'legacy');
    assert.equal((await get('VOICEMAIL-123')).body, 'legacy', 'the prefix is case-insensitive');
    assert.equal((await get(VM)).body, 'new-style');

    // The type may be left out (the key implies it); a replace answers 200.
    const replaced = await put('voicemail-123', '', 'legacy-2');
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal((await get('voicemail-123')).body, 'legacy-2');

    // DELETE takes only the literal item; agent 123's other voicemail stays.
    assert.equal((await del('voicemail-123')).statusCode, 204);
    assert.deepEqual(
      (await listing()).map((c) => c.contentKey),
      [VM],
    );
    // With no literal item left, the key means the agent's voicemails again.
    assert.equal((await get('voicemail-123')).body, 'new-style');
    assert.equal((await del('voicemail-123')).statusCode, 204);
    assert.equal((await get(VM)).statusCode, 404);
  });

  test('an owningAgentId given with the upload overrides the one in the key', async (t) => {
    const { put, get, listing } = await setup(t);
    const res = await put('voicemail-77', '?type=voicemail&owningAgentId=agent-9', 'moved');
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().owningAgent, { id: 'agent-9' });
    assert.equal((await get('voicemail-77')).body, 'moved', 'still addressed by its literal key');
    assert.deepEqual((await listing()).find((c) => c.contentKey === 'voicemail-77')?.owningAgent, {
      id: 'agent-9',
    });
    // "The voicemails of agent 9" finds nothing under voicemail-agent-9's literal key, so it falls
    // back to ownership and finds the item.
    assert.equal((await get('voicemail-agent-9')).body, 'moved');
  });

  test('a legacy key with any other type is 400 and changes nothing', async (t) => {
    const { h, put, get, listing } = await setup(t);
    assert.equal((await put('voicemail-123', '?type=voicemail', 'legacy')).statusCode, 201);
    const beforeBlobs = await blobKeys(h);
    const beforeList = await listing();
    for (const type of ['attachment', 'callRecording', 'chatTranscript', 'hologram']) {
      for (const key of ['voicemail-123', 'voicemail-456']) {
        const res = await put(key, `?type=${type}`, 'wrong');
        assert.equal(res.statusCode, 400, `${key} ${type}: ${res.body}`);
        assert.equal(res.json().code, 'invalid_type');
        assert.match(res.json().message, /voicemail/);
      }
    }
    assert.deepEqual(await blobKeys(h), beforeBlobs);
    assert.deepEqual(await listing(), beforeList);
    assert.equal((await get('voicemail-123')).body, 'legacy');
    assert.equal((await get('voicemail-456')).statusCode, 404);
  });
});
