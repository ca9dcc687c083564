/**
 * A leaner in-memory identity, measured by the bench next to what the harness holds today. It is a
 * proposal for harness/protocol/identity-key.ts, harness/population/provision.ts and
 * harness/run/provision-phase.ts (bench/README.md says what to change where); nothing in the
 * harness uses it.
 *
 * What it keeps per identity, and why that is enough:
 * - the private KeyObject (signing from raw bytes would mean a key import per proof, ~100 µs+);
 * - `dpopHeaderB64` (the proof header: the public JWK is recoverable from it, `publicJwkOf`);
 * - the access token and its hash (`ath`, saves hashing per request); not `jkt`/`kid` nor the token's
 *   `jti`, which are only needed at registration, refresh and correlation, and cost a few µs to derive;
 * - scope arrays interned (a population has at most 7 distinct scope sets);
 * - the RFC 7592 registration (access token + URI), for cleanup;
 * - ONE object per identity that is its own credential, instead of ProvisionedIdentity +
 *   RunIdentity + Credential + a registration wrapper + a public JWK object.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { dpopHeaderFor, jwkThumbprint, type PublicEcJwk } from '../../harness/protocol/identity-key.ts'

export interface LeanKey {
  privateKey: KeyObject
  dpopHeaderB64: string
}

export interface LeanIdentity extends LeanKey {
  ref: string
  kind: 'agent' | 'sub-agent'
  parentRef: string | null
  clientId: string
  tenant: string
  principal: string
  /** interned, frozen */
  scope: readonly string[]
  grantedScope: readonly string[]
  actors: string[]
  accessToken: string
  tokenHash: string
  expiresAt: number
  registrationAccessToken: string | undefined
  registrationClientUri: string | undefined
}

export function generateLeanKey(): LeanKey & { jkt: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const e = publicKey.export({ format: 'jwk' })
  const jwk: PublicEcJwk = { kty: 'EC', crv: 'P-256', x: e.x!, y: e.y! }
  // jkt is returned for registration and the token request, not kept.
  return { privateKey, jkt: jwkThumbprint(jwk), dpopHeaderB64: dpopHeaderFor(jwk) }
}

/** RFC 7638 thumbprint (= kid), recomputed when needed (~3 µs: refresh, client assertions). */
export function jktOf(key: Pick<LeanKey, 'dpopHeaderB64'>): string {
  return jwkThumbprint(publicJwkOf(key))
}

/** The public JWK, recovered from the pre-encoded DPoP header (registration, jwks): off the hot path. */
export function publicJwkOf(key: Pick<LeanKey, 'dpopHeaderB64'>): PublicEcJwk {
  const { jwk } = JSON.parse(Buffer.from(key.dpopHeaderB64, 'base64url').toString('utf8')) as { jwk: PublicEcJwk }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }
}

const interned = new Map<string, readonly string[]>()

/** One frozen array per distinct scope list. */
export function internScope(scope: readonly string[]): readonly string[] {
  const k = scope.join(' ')
  let v = interned.get(k)
  if (!v) interned.set(k, (v = Object.freeze([...scope])))
  return v
}
