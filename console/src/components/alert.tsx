import type { ComponentChildren } from 'preact';

/** A message region; errors are announced at once (role=alert), notices politely (role=status). */
export function Alert({
  kind,
  children,
}: {
  kind: 'error' | 'info' | 'success' | 'warning';
  children: ComponentChildren;
}) {
  return (
    <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
