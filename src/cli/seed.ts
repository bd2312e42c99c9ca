import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { loadConfig, localBaseUrl } from '../config.js';
import type { RequestContext } from '../core/context.js';
import { SCOPES } from '../core/types.js';
import { createDeps } from '../deps.js';
import { createLogger } from '../logging.js';
import { parse } from './args.js';
import { chatTranscript, sentiment, summary, transcript, wavTone } from './demo-content.js';
import { UsageError } from './main.js';

/** `ics seed --demo`: sample interactions with real content, through the same services the API uses. */
export async function seedCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    demo: { type: 'boolean', default: false },
    count: { type: 'string', default: '20' },
    account: { type: 'string', default: 'default' },
    json: { type: 'boolean', default: false },
  });
  if (!values.demo) throw new UsageError('usage: ics seed --demo [--count N] [--account <id>] [--json]');
  const count = Number(values.count);
  if (!/^\d+$/.test(values.count) || count < 1 || count > 100_000)
    throw new UsageError(`--count must be a whole number from 1 to 100000 (got '${values.count}')`);

  const config = loadConfig(process.env);
  const deps = await createDeps(config, { log: createLogger({ level: config.logLevel, fd: 2 }) });
  const ctx: RequestContext = {
    actor: { account: values.account, clientId: 'ics-seed', subject: 'ics-seed', scopes: new Set(SCOPES) },
    requestId: `seed-${randomUUID()}`,
  };
  const put = (
    guid: string,
    key: string,
    bytes: Buffer,
    mediaType: string,
    extra: { type?: string; owningAgentId?: string } = {},
  ) =>
    deps.services.content.upload(ctx, guid, key, {
      body: Readable.from([bytes]),
      mediaType,
      expectedLength: bytes.length,
      ...extra,
    });

  const now = Date.now();
  const guids: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const chat = i % 5 === 4;
      const agent = `agent-${(i % 4) + 1}`;
      const interaction = await deps.services.interactions.create(ctx, {
        // Spread over the last 24 hours, oldest first, so one search window covers them all.
        start: now - Math.round(((count - i) / count) * 23 * 3600_000),
        connectFrom: chat ? `customer${i}@example.com` : `+4420797${String(1000 + i).padStart(4, '0')}`,
        connectTo: chat ? 'support-chat' : '+441134960000',
        direction: i % 3 === 2 ? 'outbound' : 'inbound',
        handlingAgents: [agent],
      });
      const guid = interaction.guid;
      guids.push(guid);
      if (chat) {
        await put(guid, randomUUID(), chatTranscript(guid, `customer${i}`), 'application/json', {
          type: 'chatTranscript',
        });
      } else {
        await put(guid, 'callRecording', wavTone({ hz: 330 + (i % 7) * 55, seconds: 2 }), 'audio/wav');
        await put(guid, 'transcript', transcript(guid), 'application/json');
        await put(guid, 'sentimentSummary', sentiment(((i % 9) - 4) / 5), 'application/json');
        await put(guid, randomUUID(), summary(), 'application/json', { type: 'conversationSummary' });
      }
      if (i % 4 === 0) {
        await put(guid, randomUUID(), wavTone({ hz: 440, seconds: 1 }), 'audio/wav', {
          type: 'voicemail',
          owningAgentId: agent,
        });
      }
    }
  } finally {
    await deps.close();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ account: values.account, guids })}\n`);
  } else {
    const start = new Date(now - 24 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const end = new Date(now + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    process.stdout.write(
      `seeded ${count} interactions for account '${values.account}', from ${start} to ${end}\n` +
        `first: ${guids[0]}\n` +
        `search: curl -s -H "Authorization: Bearer $TOKEN" -H 'Accept: application/vnd.newvoicemedia.v3+json' ` +
        `'${localBaseUrl(config.http)}/interaction-content/interactions?start=${start}&end=${end}'\n`,
    );
  }
  return 0;
}
