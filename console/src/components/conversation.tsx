import { useState } from 'preact/hooks';
import { type Conversation as Conv, formatOffset } from '../lib/transcript.ts';
import { Time } from './time.tsx';

const PAGE = 200;

/** A transcript as a readable conversation; long ones are shown in steps so nothing hangs. */
export function Conversation({ conversation, label }: { conversation: Conv; label: string }) {
  const [shown, setShown] = useState(PAGE);
  const speakers = [...new Set(conversation.turns.map((t) => t.speaker))];
  const turns = conversation.turns.slice(0, shown);
  return (
    <div class="conversation">
      {(conversation.language || conversation.channel) && (
        <p class="muted">
          {[conversation.channel, conversation.language].filter(Boolean).join(' · ')} ·{' '}
          {conversation.turns.length} turns
        </p>
      )}
      <ol class="turns" aria-label={label}>
        {turns.map((t, i) => (
          <li key={i} class={`turn speaker-${speakers.indexOf(t.speaker) % 4}`}>
            <div class="turn-meta">
              <span class="speaker">{t.speaker}</span>
              {t.offsetMs !== undefined && <span class="offset">{formatOffset(t.offsetMs)}</span>}
              {t.time && <Time iso={t.time} />}
            </div>
            <p class="turn-text">{t.text}</p>
          </li>
        ))}
      </ol>
      {shown < conversation.turns.length && (
        <button type="button" onClick={() => setShown(shown + PAGE)}>
          Show more ({conversation.turns.length - shown} left)
        </button>
      )}
    </div>
  );
}
