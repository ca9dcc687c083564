/**
 * escalate.typ-confusion.* (RFC 9068 §4, RFC 8725 §3.11–3.12): another kind of JWT presented as the
 * access token, with a proper proof by the carrier's key (`ath` over what was presented).
 * `.dpop-proof`: a DPoP proof the carrier made for this very request. `.user-assertion`: the
 * principal's subject token (what the agent's exchange presents: the workforce IdP's assertion, or
 * whatever the target's own source gives), which carries the user's full entitlements. Both call
 * the write tool. Neither is an access token, so the server can trust none of their claims:
 * attribution `anonymous`.
 *
 * prepared (`.user-assertion`): the subject-token source, the principals by id, and the AS issuer (the token's aud).
 */
import { anonymousExpected } from '../../contracts/identity.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { tokenHash } from '../../protocol/token-hash.ts'
import type { Principal } from '../../population/spec.ts'
import type { SubjectTokenSource } from '../../contracts/target.ts'
import type { ActionEnv, AttackModule } from '../types.ts'
import { callArgs, htuOf, writeTool } from './tool-call.ts'

async function presentAsToken(env: ActionEnv, caseId: string, make: (htm: string, htu: string) => string | null | Promise<string | null>): Promise<void> {
  const tool = writeTool(env.rs)
  const args = callArgs(tool, env.salt)
  const token = await make(tool.method, htuOf(env.rs, tool, env.identity.tenant, args.resourceId))
  if (token === null) return
  await env.send({
    kind: 'attack',
    caseId,
    tool,
    tenant: env.identity.tenant,
    ...args,
    credential: { accessToken: token, tokenHash: tokenHash(token), key: env.identity.credential.key },
    expected: anonymousExpected(env.identity.tenant, tool, env.rs),
    scheduledAt: env.scheduledAt,
  })
}

export const escalateTypConfusionDpopProof: AttackModule = {
  id: 'escalate.typ-confusion.dpop-proof',
  eligible: () => true,
  fire(env) {
    return presentAsToken(env, this.id, (htm, htu) => createDpopProof(env.identity.credential.key, { htm, htu }).proof)
  },
}

interface AssertionSource {
  subjects: SubjectTokenSource
  principals: Map<string, Principal>
  audience: string
}

export const escalateTypConfusionUserAssertion: AttackModule = {
  id: 'escalate.typ-confusion.user-assertion',
  eligible: () => true,
  async prepare(kit): Promise<AssertionSource> {
    return { subjects: kit.subjects, principals: new Map(kit.principals.map((p) => [p.id, p])), audience: kit.meta.issuer }
  },
  fire(env) {
    const src = env.prepared as AssertionSource
    const principal = src.principals.get(env.identity.principal)
    return presentAsToken(env, this.id, () => (principal ? src.subjects.subjectTokenFor(principal, src.audience) : null))
  },
}
