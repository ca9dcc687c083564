/**
 * A proposed change to harness/protocol/jws.ts (signCompact), measured by the bench next to the
 * current one; nothing in the harness uses it.
 *
 * Why: on Node 24, `crypto.sign(alg, data, { key: keyObject, dsaEncoding: 'ieee-p1363' })` costs
 * ~2× a bare `crypto.sign(alg, data, keyObject)`. With an options object, Node's
 * prepareAsymmetricKey first asks isKeyObject(options) and isCryptoKey(options); both are
 * implemented as try { read private slots } catch { return false }, so every call throws and
 * catches two native errors (stack traces included) before it finds `options.key`. Passing the
 * KeyObject itself takes the first branch. The signature then comes back DER-encoded
 * (ECDSA-Sig-Value), and JWS wants raw r‖s (RFC 7518 §3.4): converting takes a few µs in JS.
 * (`crypto.verify` with an options object pays the same toll: the reference target's verifier, too.)
 */
import { sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { dpopProofPayload, type DpopProof, type DpopProofOptions } from '../../harness/protocol/dpop-proof.ts'
import type { IdentityKey } from '../../harness/protocol/identity-key.ts'
import { derToJose } from '../../harness/protocol/der-to-jose.ts'
import { encodeSegment } from '../../harness/protocol/jws.ts'

/** Same output as harness signCompact, ~2× cheaper on Node 24 (see the header). */
export function signCompactFast(privateKey: KeyObject, headerB64: string, payload: object): string {
  const signingInput = `${headerB64}.${encodeSegment(payload)}`
  const der = sign('sha256', Buffer.from(signingInput, 'latin1'), privateKey)
  return `${signingInput}.${derToJose(der).toString('base64url')}`
}

/**
 * harness createDpopProof with signCompactFast. (The proposal is to change signCompact itself, so
 * createDpopProof and client assertions get it unchanged; this copy exists only to measure it.)
 */
export function createDpopProofFast(key: Pick<IdentityKey, 'privateKey' | 'dpopHeaderB64'>, opts: DpopProofOptions): DpopProof {
  const payload = dpopProofPayload(opts)
  return { proof: signCompactFast(key.privateKey, key.dpopHeaderB64, payload), jti: payload.jti }
}
