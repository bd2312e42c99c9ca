// A real `ics serve` process killed with SIGKILL (ICS_TEST_FAULTS) between a change and the delivery
// of its event, then restarted on the same data directory: the event arrives after the restart,
// signed, once. Two instants: right after a deletion commits (the event is still in the outbox), and
// just before the first send (the delivery row exists, nothing was sent).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Api, dataDirFor, serve, wav } from '../deletion/helpers.js';
import { FAST, startReceiver, verifyLikeVcc, W1 } from './helpers.js';

async function subscribe(api: Api, url: string) {
  const res = await api.fetch('/webhooks/subscriptions', {
    method: 'POST',
    headers: { accept: W1, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'crash test', url, events: ['*'] }),
  });
  assert.equal(res.status, 201);
  return (await res.json()) as { subscriptionId: string; secret: string };
}

for (const [name, fault, type] of [
  [
    'after the deletion commits, before its event is dispatched',
    'delete.after-commit',
    'interaction-content.deleted.v1',
  ],
  ['after dispatch, before the first send', 'webhook.before-send', 'interaction-content.added.v1'],
] as const) {
  test(`SIGKILL ${name}: the event arrives after the restart`, { timeout: 240_000 }, async (t) => {
    const receiver = await startReceiver(t);
    const dataDir = await dataDirFor(t);
    const first = await serve(t, dataDir, { ...FAST, ICS_TEST_FAULTS: fault });
    const api = await Api.connect(first.url, dataDir);
    const sub = await subscribe(api, `${receiver.url}/in`);
    const guid = await api.createInteraction();
    if (fault === 'delete.after-commit') {
      // The upload's event may be delivered before the kill; the deletion's can only come later.
      await api.put(guid, 'callRecording', wav(randomBytes(100)), { contentType: 'audio/wav' });
      await api
        .fetch(`/interaction-content/interactions/${guid}/content/callRecording`, { method: 'DELETE' })
        .catch(
          () => undefined, // the connection dies with the server
        );
    } else {
      await api
        .put(guid, 'callRecording', wav(randomBytes(100)), { contentType: 'audio/wav' })
        .catch(() => undefined);
    }
    assert.equal(await first.exited, 'SIGKILL', `the fault ${fault} killed the server`);
    assert.equal(
      receiver.received.filter((r) => r.event.type === type).length,
      0,
      'not delivered before the kill',
    );

    const second = await serve(t, dataDir, FAST);
    const [got] = await receiver.waitFor(1, (r) => r.event.type === type, 120_000);
    verifyLikeVcc(got, sub.secret);
    assert.equal(got.event.subject, guid);
    assert.equal(got.event.data.contentKey, 'callRecording');
    // Delivered once: the deliveries list of the restarted server says so, and nothing else came.
    const again = api.at(second.url);
    for (;;) {
      const res = await again.fetch(`/webhooks/subscriptions/${sub.subscriptionId}/deliveries`, {
        headers: { accept: W1 },
      });
      const items = ((await res.json()) as { items: { eventType: string; status: string }[] }).items;
      if (items.every((d) => d.status === 'delivered')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(receiver.received.filter((r) => r.event.type === type).length, 1);
  });
}
