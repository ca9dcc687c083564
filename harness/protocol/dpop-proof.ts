/**
 * DPoP proofs (RFC 9449 §4), one per request on the hot path.
 *
 * The header (typ, alg, public jwk) is pre-encoded per identity, so a proof is: a payload of a few
 * short strings, one ES256 signature, and string concatenation (~70 µs, docs/platform.md).
 *
 * @example
 *   const { proof, jti } = createDpopProof(key, { htm: 'GET', htu: 'http://127.0.0.1:8081/t/t_1/tickets/9', accessToken })
 *   headers.authorization = `DPoP ${accessToken}`; headers.dpop = proof
 */
import { agentClock } from './agent-clock.ts'
import { signCompactAs } from './identity-key.ts'
import type { IdentityKey } from '../contracts/identity.ts'
import { randomB64url } from './random-id.ts'
import { tokenHash } from './token-hash.ts'

export interface DpopProofOptions {
  /** HTTP method of the request (RFC 9449 §4.2 `htm`) */
  htm: string
  /** target URI; query and fragment are removed here (§4.2 `htu`) */
  htu: string
  /** when the proof accompanies an access token, `ath` = base64url(SHA-256(token)) (§4.2) */
  accessToken?: string
  /**
   * the precomputed `ath` (e.g. a provisioned identity's `tokenHash`): saves hashing the same
   * token on every request (~3 µs of a ~70 µs proof). Wins over `accessToken`.
   */
  ath?: string
  /** seconds since the epoch; defaults to the signing agent's clock (agent-clock.ts: skewed during a clock-skew fault); `iat` attacks pass their own */
  iat?: number
  /** defaults to 16 random bytes, base64url (attacks reuse one on purpose) */
  jti?: string
  /** a server-provided nonce (§8, §9) */
  nonce?: string
}

export interface DpopProof {
  proof: string
  /** returned so the attempt log can record the proof's jti (hashed) and replay cases can reuse it */
  jti: string
}

/** The payload members in the order both the builder and the jose cross-check emit them. */
export interface DpopProofPayload {
  jti: string
  htm: string
  htu: string
  iat: number
  ath?: string
  nonce?: string
}

/**
 * RFC 9449 §4.2: `htu` is the target URI "without query and fragment parts". Cut at the first `?`
 * or `#` instead of parsing with `URL`: the hot path then costs one scan, and the URI's other
 * bytes stay exactly as the caller wrote them (the normalisation control case depends on that).
 */
export function dpopHtu(url: string): string {
  const q = url.indexOf('?')
  const f = url.indexOf('#')
  const cut = q === -1 ? f : f === -1 ? q : Math.min(q, f)
  return cut === -1 ? url : url.slice(0, cut)
}

/** The proof payload, exposed for attack modules that sign a modified copy with `signCompact`. */
export function dpopProofPayload(opts: DpopProofOptions): DpopProofPayload {
  const payload: DpopProofPayload = {
    jti: opts.jti ?? randomB64url(16),
    htm: opts.htm,
    htu: dpopHtu(opts.htu),
    iat: opts.iat ?? Math.floor(Date.now() / 1000),
  }
  if (opts.ath !== undefined) payload.ath = opts.ath
  else if (opts.accessToken !== undefined) payload.ath = tokenHash(opts.accessToken)
  if (opts.nonce !== undefined) payload.nonce = opts.nonce
  return payload
}

export function createDpopProof(key: Pick<IdentityKey, 'privateKey' | 'dpopHeaderB64'>, opts: DpopProofOptions): DpopProof {
  const payload = dpopProofPayload(opts.iat !== undefined || agentClock.skewed === 0 ? opts : { ...opts, iat: agentClock.nowS(key) })
  // Through the identity's key cache (identity-key.ts): a miss with the cache full makes no KeyObject.
  return { proof: signCompactAs(key, key.dpopHeaderB64, payload), jti: payload.jti }
}
