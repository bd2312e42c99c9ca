import { type Kind, kindOf, typeLabel } from '../lib/content-kinds.ts';

const PATHS: Record<Kind, string> = {
  audio: 'M4 9v6h4l5 4V5L8 9H4zm12.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z',
  video: 'M3 6h12v12H3zM15 10l6-3v10l-6-3z',
  conversation: 'M4 4h16v11H8l-4 4zM7 8h10M7 11h7',
  document: 'M6 3h8l4 4v14H6zM14 3v4h4M9 12h6M9 15h6M9 18h4',
  file: 'M16.5 6.5 8 15a2.1 2.1 0 0 0 3 3l8.5-8.5a4 4 0 0 0-5.7-5.7L5 12.6a6 6 0 0 0 8.5 8.5L20 14.5',
};

export function KindIcon({ kind, label }: { kind: Kind; label?: string }) {
  return (
    <svg
      class={`icon icon-${kind}`}
      viewBox="0 0 24 24"
      width="18"
      height="18"
      aria-hidden={label ? undefined : 'true'}
      role={label ? 'img' : undefined}
      aria-label={label}
    >
      {label && <title>{label}</title>}
      <path d={PATHS[kind]} />
    </svg>
  );
}

/** One icon per content type present, labelled for screen readers and on hover. */
export function ContentIcons({ content }: { content: { type: string; contentType: string }[] }) {
  const types = [...new Set(content.map((c) => c.type))];
  return (
    <span class="content-icons">
      {types.map((type) => {
        const item = content.find((c) => c.type === type)!;
        const count = content.filter((c) => c.type === type).length;
        const label = `${typeLabel(type)}${count > 1 ? ` ×${count}` : ''}`;
        return <KindIcon key={type} kind={kindOf(item)} label={label} />;
      })}
    </span>
  );
}
