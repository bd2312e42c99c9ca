import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { SigningKeyRow } from '../metadata/db-schema.js';
import type { SqlHandle } from '../metadata/sql-handle.js';
import type { SealedBox } from '../secrets/sealed-box.js';

// The Ed25519 key that signs erasure certificates. It is made once for the whole service and kept
// in the metadata database (signing_keys): the public JWK in clear, the private key as PKCS#8 PEM
// sealed by the secrets key (secrets/sealed-box.ts), so a database dump alone cannot forge a
// certificate, and every node that shares the database (and ICS_SECRETS_KEY) signs with the same
// key. Its kid is the JWK thumbprint (RFC 7638): stable for as long as the key exists.

export const CERTIFICATE_ALG = 'EdDSA';

export interface SigningKey {
  kid: string;
  alg: string;
  publicJwk: JWK;
  privateKey: KeyObject;
}

export class CertificateKeys {
  #active: Promise<SigningKey> | undefined;

  constructor(private readonly deps: { sql: SqlHandle; box: SealedBox }) {}

  /**
   * The key certificates are signed with: the oldest stored one, made now if there is none. Two
   * nodes that race to make the first key each store theirs; both then take the same, oldest one
   * (the other stays published in the JWKS and signs nothing).
   */
  active(): Promise<SigningKey> {
    this.#active ??= this.#load().catch((err) => {
      this.#active = undefined;
      throw err;
    });
    return this.#active;
  }

  /** Every public key, for the JWKS. */
  async publicKeys(): Promise<(JWK & { kid: string; alg: string; use: 'sig' })[]> {
    await this.active();
    const rows = await this.#rows();
    return rows.map((r) => ({
      ...(JSON.parse(r.public_jwk) as JWK),
      kid: r.kid,
      alg: r.alg,
      use: 'sig' as const,
    }));
  }

  async #load(): Promise<SigningKey> {
    let rows = await this.#rows();
    if (rows.length === 0) {
      await this.#create();
      rows = await this.#rows();
    }
    const row = rows[0];
    const pem = this.deps.box.unseal(row.sealed_private, context(row.kid));
    return {
      kid: row.kid,
      alg: row.alg,
      publicJwk: JSON.parse(row.public_jwk) as JWK,
      privateKey: createPrivateKey(pem),
    };
  }

  #rows(): Promise<SigningKeyRow[]> {
    return this.deps.sql.read((db) =>
      db.selectFrom('signing_keys').selectAll().orderBy('created_ms').orderBy('kid').execute(),
    );
  }

  async #create(): Promise<void> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const jwk = await exportJWK(publicKey);
    const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await this.deps.sql.write(async (db) => {
      await db
        .insertInto('signing_keys')
        .values({
          kid,
          alg: CERTIFICATE_ALG,
          public_jwk: JSON.stringify(publicJwk),
          sealed_private: this.deps.box.seal(pem, context(kid)),
          created_ms: Date.now(),
        })
        .onConflict((oc) => oc.column('kid').doNothing())
        .execute();
    });
  }
}

const context = (kid: string) => `signing-key:${kid}`;
