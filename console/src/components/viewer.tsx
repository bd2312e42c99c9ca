import { useEffect, useState } from 'preact/hooks';
import { authorisedFetch } from '../api/client.ts';
import { describeError, isAbort } from '../api/errors.ts';
import { type ContentItem, contentPath } from '../api/types.ts';
import { kindOf, RENDER_LIMIT_BYTES, typeLabel } from '../lib/content-kinds.ts';
import { formatDuration } from '../lib/format.ts';
import { type MediaSource, mediaSource } from '../lib/media.ts';
import { toConversation } from '../lib/transcript.ts';
import { Alert } from './alert.tsx';
import { Conversation } from './conversation.tsx';

/** Plays audio and video in the page; seeking issues Range requests (see lib/media.ts). */
function Player({ guid, item, video }: { guid: string; item: ContentItem; video: boolean }) {
  const [source, setSource] = useState<MediaSource>();
  const [error, setError] = useState<string>();
  const [duration, setDuration] = useState<number>();
  useEffect(() => {
    const abort = new AbortController();
    let made: MediaSource | undefined;
    mediaSource(contentPath(guid, item.contentKey), abort.signal).then(
      (s) => {
        made = s;
        setSource(s);
      },
      (err) => !isAbort(err) && setError(describeError(err, 'Loading the recording')),
    );
    return () => {
      abort.abort();
      made?.release();
    };
  }, [guid, item.contentKey]);
  if (error) return <Alert kind="error">{error}</Alert>;
  if (!source) return <p class="muted">Preparing the player…</p>;
  const label = `${typeLabel(item.type)} ${item.contentKey}`;
  const common = {
    src: source.url,
    controls: true,
    preload: 'metadata' as const,
    'aria-label': label,
    onLoadedMetadata: (e: Event) => {
      const d = (e.currentTarget as HTMLMediaElement).duration;
      if (Number.isFinite(d)) setDuration(d);
    },
    onError: () => setError('The browser cannot play this file; download it instead.'),
  };
  return (
    <div class="player">
      {video ? <video {...common} playsInline class="video" /> : <audio {...common} class="audio" />}
      <p class="muted small">
        {duration !== undefined && <>Duration {formatDuration(duration)} · </>}
        {source.mode === 'stream'
          ? 'Streamed with Range requests'
          : 'Downloaded whole (no service worker here)'}
      </p>
    </div>
  );
}

type Doc =
  | { kind: 'conversation'; conv: NonNullable<ReturnType<typeof toConversation>> }
  | { kind: 'json'; text: string };

/** Transcripts as conversations; other JSON documents pretty-printed. */
function Document({ guid, item, conversation }: { guid: string; item: ContentItem; conversation: boolean }) {
  const [doc, setDoc] = useState<Doc>();
  const [error, setError] = useState<string>();
  const tooBig = item.contentLength > RENDER_LIMIT_BYTES;
  useEffect(() => {
    if (tooBig) return;
    const abort = new AbortController();
    authorisedFetch(contentPath(guid, item.contentKey), { signal: abort.signal })
      .then((res) => res.text())
      .then((text) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          setDoc({ kind: 'json', text });
          return;
        }
        const conv = conversation ? toConversation(parsed) : undefined;
        setDoc(
          conv ? { kind: 'conversation', conv } : { kind: 'json', text: JSON.stringify(parsed, null, 2) },
        );
      })
      .catch((err) => !isAbort(err) && setError(describeError(err, 'Loading the document')));
    return () => abort.abort();
  }, [guid, item.contentKey, tooBig, conversation]);
  if (tooBig) return <p class="muted">Too large to show in the page; download it.</p>;
  if (error) return <Alert kind="error">{error}</Alert>;
  if (!doc) return <p class="muted">Loading…</p>;
  if (doc.kind === 'conversation')
    return <Conversation conversation={doc.conv} label={`${typeLabel(item.type)} ${item.contentKey}`} />;
  return (
    <details class="json" open={item.contentLength < 4096}>
      <summary>Show the document ({item.contentType})</summary>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard */}
      <pre tabIndex={0}>{doc.text}</pre>
    </details>
  );
}

export function Viewer({ guid, item }: { guid: string; item: ContentItem }) {
  const kind = kindOf(item);
  if (kind === 'audio') return <Player guid={guid} item={item} video={false} />;
  if (kind === 'video') return <Player guid={guid} item={item} video />;
  if (kind === 'conversation') return <Document guid={guid} item={item} conversation />;
  if (kind === 'document') return <Document guid={guid} item={item} conversation={false} />;
  return null;
}
