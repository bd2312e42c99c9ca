import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';

// An erasure certificate (platform-api §2) is a compact JWS signed with the server's Ed25519 key;
// its public keys are at the JWKS. The browser verifies it with WebCrypto through jose, exactly as
// a third party would offline, so the page does not take the server's word for it.

export const JWKS_PATH = '/interaction-content/.well-known/jwks.json';

export type CertificateCheck =
  | { ok: true; kid: string | undefined; alg: string; payload: Record<string, unknown> }
  | { ok: false; problem: string };

export async function verifyCertificate(jws: string, jwks: JSONWebKeySet): Promise<CertificateCheck> {
  let alg = '';
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(jws);
    alg = String(header.alg);
    kid = header.kid;
  } catch {
    return { ok: false, problem: 'not a compact JWS' };
  }
  try {
    const { payload } = await compactVerify(jws, createLocalJWKSet(jwks), {
      algorithms: ['EdDSA', 'Ed25519'],
    });
    return { ok: true, kid, alg, payload: JSON.parse(new TextDecoder().decode(payload)) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWKS_NO_MATCHING_KEY')
      return { ok: false, problem: `no key ${kid ?? ''} in the published JWKS` };
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
      return { ok: false, problem: 'the signature does not match' };
    return { ok: false, problem: err instanceof Error ? err.message : String(err) };
  }
}

/** The ledger entries a certificate names ({seq, hash} objects anywhere in its item list). */
export function certificateEntries(payload: Record<string, unknown>): { seq: number; hash: string }[] {
  const found: { seq: number; hash: string }[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 6 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if ((typeof o.seq === 'number' || typeof o.seq === 'string') && typeof o.hash === 'string')
      found.push({ seq: Number(o.seq), hash: o.hash });
    else for (const x of Object.values(o)) walk(x, depth + 1);
  };
  walk(payload, 0);
  return found;
}
