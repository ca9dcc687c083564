/**
 * replay.dpop-malformed.* (RFC 9449 §4.2, §4.3 (1)–(7), §11.5–11.6): a valid, DPoP-bound token with
 * a proof that is wrong in exactly one way. The proof is otherwise right (method, URI, `ath`, fresh
 * `iat`, signed with the key the token is bound to), so the one defect is what gets refused.
 *
 * `.private-jwk` puts the signing key's private part (`d`) in the header. So that no population
 * identity's key is ever sent, it uses a throwaway agent registered in prepare() for this case alone.
 */
import type { CaseKit, FreshIdentity } from '../kit.ts'
import { expectedFor, type RunIdentity } from '../../contracts/identity.ts'
import { dpopProofPayload, createDpopProof, type DpopProofPayload } from '../../protocol/dpop-proof.ts'
import { randomB64url } from '../../protocol/random-id.ts'
import { CaseNotCovered, readableTool, type ActionEnv, type AttackModule } from '../types.ts'
import { compactJws, withSignatureOf } from './forge-jws.ts'
import { callArgs, dpopHeaders, htuOf, Renewing, sendToolCall } from './tool-call.ts'

export type MalformedVariant =
  | 'two-headers'
  | 'not-jwt'
  | 'missing-jti'
  | 'missing-ath'
  | 'wrong-typ'
  | 'alg-none'
  | 'alg-hs256'
  | 'bad-signature'
  | 'private-jwk'

/** The `DPoP` header value(s) for one variant, for a request by `identity` with this method and URI. */
export function malformedProofs(identity: RunIdentity, htm: string, htu: string, variant: MalformedVariant): string[] {
  const key = identity.credential.key
  const ath = identity.credential.tokenHash
  const payload = (): Partial<DpopProofPayload> => dpopProofPayload({ htm, htu, ath })
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk }
  switch (variant) {
    case 'two-headers':
      return [createDpopProof(key, { htm, htu, ath }).proof, createDpopProof(key, { htm, htu, ath }).proof]
    case 'not-jwt':
      // one base64url segment: a token68 value, but no JWS
      return [randomB64url(48)]
    case 'missing-jti': {
      const p = payload()
      delete p.jti
      return [compactJws(header, p, { es256: key.privateKey })]
    }
    case 'missing-ath': {
      const p = payload()
      delete p.ath
      return [compactJws(header, p, { es256: key.privateKey })]
    }
    case 'wrong-typ':
      // §11.5: a plain JWT must not pass as a proof
      return [compactJws({ ...header, typ: 'JWT' }, payload(), { es256: key.privateKey })]
    case 'alg-none':
      return [compactJws({ ...header, alg: 'none' }, payload(), { raw: Buffer.alloc(0) })]
    case 'alg-hs256':
      // §11.6: a MAC keyed with what the verifier can see (the public key's RFC 7638 members)
      return [compactJws({ ...header, alg: 'HS256' }, payload(), { hs256: JSON.stringify(key.publicJwk) })]
    case 'bad-signature': {
      // a real ES256 signature by the right key, but over another payload
      const proof = createDpopProof(key, { htm, htu, ath }).proof
      return [withSignatureOf(proof, createDpopProof(key, { htm, htu, ath }).proof)]
    }
    case 'private-jwk': {
      const { kty, crv, x, y, d } = key.privateKey.export({ format: 'jwk' })
      return [compactJws({ ...header, jwk: { crv, kty, x, y, d } }, payload(), { es256: key.privateKey })]
    }
  }
}

async function fireWith(env: ActionEnv, caseId: string, identity: RunIdentity, variant: MalformedVariant): Promise<void> {
  const tool = readableTool(identity, env.rs)!
  const { resourceId } = callArgs(tool, env.salt)
  const proofs = malformedProofs(identity, tool.method, htuOf(env.rs, tool, identity.tenant, resourceId), variant)
  const [auth] = dpopHeaders(identity.credential.accessToken, proofs[0])
  await sendToolCall(env, {
    caseId,
    tool,
    tenant: identity.tenant,
    resourceId,
    headers: [auth, ...proofs.map((p): [string, string] => ['dpop', p])],
    expected: expectedFor(identity, tool, env.rs),
    tokenHash: identity.credential.tokenHash,
  })
}

function module(variant: Exclude<MalformedVariant, 'private-jwk'>): AttackModule {
  return {
    id: `replay.dpop-malformed.${variant}`,
    eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
    fire(env) {
      return fireWith(env, this.id, env.identity, variant)
    },
  }
}

/** A throwaway agent for a principal entitled to one of the resource server's read tools. */
export async function throwawayReader(kit: CaseKit): Promise<Renewing<FreshIdentity>> {
  const rs = kit.target.resources[0]
  const principal = kit.principals.find((p) => rs.tools.some((t) => !t.writes && (p.entitlements as string[]).includes(t.scope)))
  if (!principal) throw new CaseNotCovered('no principal is entitled to a read tool')
  return Renewing.start(() => kit.freshAgent(principal))
}

export const replayDpopMalformedTwoHeaders = module('two-headers')
export const replayDpopMalformedNotJwt = module('not-jwt')
export const replayDpopMalformedMissingJti = module('missing-jti')
export const replayDpopMalformedMissingAth = module('missing-ath')
export const replayDpopMalformedWrongTyp = module('wrong-typ')
export const replayDpopMalformedAlgNone = module('alg-none')
export const replayDpopMalformedAlgHs256 = module('alg-hs256')
export const replayDpopMalformedBadSignature = module('bad-signature')
export const replayDpopMalformedPrivateJwk: AttackModule = {
  id: 'replay.dpop-malformed.private-jwk',
  eligible: () => true,
  prepare: throwawayReader,
  async fire(env) {
    const identity = await (env.prepared as Renewing<FreshIdentity>).get()
    await fireWith(env, this.id, identity, 'private-jwk')
  },
}
