import { Alert } from './alert.tsx';

/** The seam for a page whose API this server does not have (yet): its route answers 404. */
export function MissingApi({ path }: { path: string }) {
  return (
    <Alert kind="info">
      Not available on this server: <code>GET {path}</code> answers 404. A server with this API shows it here.
    </Alert>
  );
}
