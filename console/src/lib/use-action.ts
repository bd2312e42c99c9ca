import { useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';

/**
 * A page's state for the actions its buttons start (create, revoke, rotate, delete…): busy while
 * one runs, and the last one's failure as a sentence ("Rotating the secret: …"). `settled` runs
 * after each action, whatever its outcome (a page closes its confirmation there).
 */
export function useAction(settled?: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (fn: () => Promise<void>, what: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(describeError(err, what));
    } finally {
      setBusy(false);
      settled?.();
    }
  };
  return { busy, error, setError, run };
}
