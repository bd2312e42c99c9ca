import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A secret the API returns exactly once (a new client's or webhook's): shown with a copy button,
 * focused so it is announced, gone when dismissed or when the page is left. It is never stored.
 */
export function SecretOnce(props: {
  title: string;
  fields: { label: string; value: string; secret?: boolean }[];
  note?: string;
  onDismiss(): void;
}) {
  const ref = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<string>();
  useEffect(() => ref.current?.focus(), []);
  const copy = async (label: string, value: string) => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(label);
    } catch {
      setCopied(undefined);
    }
  };
  return (
    <section class="panel secret-once" tabIndex={-1} ref={ref} aria-labelledby="secret-title">
      <h2 id="secret-title">{props.title}</h2>
      <p>
        <strong>Shown only now.</strong> The server keeps no readable copy; store it where it is needed before
        you dismiss this.
      </p>
      <dl class="secret-fields">
        {props.fields.map((f) => (
          <div key={f.label}>
            <dt>{f.label}</dt>
            <dd>
              <code class={f.secret ? 'secret' : undefined}>{f.value}</code>{' '}
              <button
                type="button"
                onClick={() => void copy(f.label, f.value)}
                aria-label={`Copy ${f.label}`}
              >
                {copied === f.label ? 'Copied' : 'Copy'}
              </button>
            </dd>
          </div>
        ))}
      </dl>
      {props.note && <p class="muted small">{props.note}</p>}
      <button type="button" class="primary" onClick={props.onDismiss}>
        I have stored it — dismiss
      </button>
    </section>
  );
}
