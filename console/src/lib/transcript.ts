// Turns the JSON documents contact-centre systems store as transcripts into one readable shape.
// Known shapes: ICS demo transcripts ({segments:[{speaker,startMs,endMs,text}]}), chat transcripts
// ({messages:[{from,at,text}]}, `at` in seconds), and the common variants of both (utterances,
// turns, entries; speaker/from/participant/role/sender; text/message/content/body).

export interface Turn {
  speaker: string;
  /** Offset from the start in milliseconds, or an absolute ISO time, when the document gives one. */
  offsetMs?: number;
  time?: string;
  text: string;
}

export interface Conversation {
  turns: Turn[];
  language?: string;
  channel?: string;
}

const LIST_KEYS = ['segments', 'messages', 'utterances', 'turns', 'entries', 'transcript', 'items', 'lines'];
const SPEAKER_KEYS = ['speaker', 'from', 'participant', 'role', 'sender', 'author', 'name', 'channel'];
const TEXT_KEYS = ['text', 'message', 'content', 'body', 'transcript', 'utterance'];
const MS_KEYS = ['startMs', 'offsetMs', 'timeMs', 'startTimeMs'];
const SECOND_KEYS = ['at', 'start', 'offset', 'startTime', 'time', 'timestamp', 'seconds'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function pick(o: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

function speakerOf(o: Record<string, unknown>): string {
  const v = pick(o, SPEAKER_KEYS);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return `Speaker ${v}`;
  if (isObject(v)) {
    const name = pick(v, ['name', 'id', 'role']);
    if (typeof name === 'string' || typeof name === 'number') return String(name);
  }
  return 'Unknown';
}

function turnOf(v: unknown): Turn | undefined {
  if (!isObject(v)) return undefined;
  const text = pick(v, TEXT_KEYS);
  if (typeof text !== 'string') return undefined;
  const turn: Turn = { speaker: speakerOf(v), text };
  const ms = pick(v, MS_KEYS);
  const s = pick(v, SECOND_KEYS);
  if (typeof ms === 'number' && Number.isFinite(ms)) turn.offsetMs = ms;
  else if (typeof s === 'number' && Number.isFinite(s)) turn.offsetMs = s * 1000;
  else if (typeof s === 'string' && !Number.isNaN(Date.parse(s))) turn.time = s;
  return turn;
}

/** The conversation in a parsed JSON document, or undefined when it holds none. */
export function toConversation(doc: unknown): Conversation | undefined {
  const list = Array.isArray(doc)
    ? doc
    : isObject(doc)
      ? (LIST_KEYS.map((k) => doc[k]).find((v) => Array.isArray(v)) as unknown[] | undefined)
      : undefined;
  if (!list || list.length === 0) return undefined;
  const turns = list.map(turnOf).filter((t): t is Turn => t !== undefined);
  // A list where most entries are not turns is some other document.
  if (turns.length === 0 || turns.length < list.length / 2) return undefined;
  const conv: Conversation = { turns };
  if (isObject(doc)) {
    if (typeof doc.language === 'string') conv.language = doc.language;
    if (typeof doc.channel === 'string') conv.channel = doc.channel;
  }
  return conv;
}

/** "1:05" or "1:02:05" for an offset. */
export function formatOffset(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
