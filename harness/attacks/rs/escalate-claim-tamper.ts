/**
 * escalate.claim-tamper (RFC 8725 §3.3): the carrier's real token with its `scope` widened to every
 * tool scope, payload re-encoded, header and signature kept. The proof is the carrier's own, with
 * `ath` over the tampered token. It calls a tool outside the real scope (the write tool where it
 * can). The signature no longer verifies, so no claim can be trusted: attribution `anonymous`.
 */
import { anonymousExpected } from '../../contracts/identity.ts'
import { encodeSegment, unverifiedPayload } from '../../protocol/jws.ts'
import { tokenHash } from '../../protocol/token-hash.ts'
import type { AttackModule } from '../types.ts'
import { allScopes, callArgs } from './tool-call.ts'

/** `token` with its payload replaced by `edit(payload)`, signature untouched. */
export function tamperedToken(token: string, edit: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, , signature] = token.split('.')
  return `${header}.${encodeSegment(edit(unverifiedPayload(token) ?? {}))}.${signature}`
}

export const escalateClaimTamper: AttackModule = {
  id: 'escalate.claim-tamper',
  eligible: (identity, rs) => rs.tools.some((t) => !identity.scope.includes(t.scope)),
  async fire(env) {
    const outside = env.rs.tools.filter((t) => !env.identity.scope.includes(t.scope))
    const tool = outside.find((t) => t.writes) ?? outside[0]
    const token = tamperedToken(env.identity.credential.accessToken, (p) => ({ ...p, scope: allScopes(env.rs).join(' ') }))
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      ...callArgs(tool, env.salt),
      credential: { accessToken: token, tokenHash: tokenHash(token), key: env.identity.credential.key },
      expected: anonymousExpected(env.identity.tenant, tool, env.rs),
      scheduledAt: env.scheduledAt,
    })
  },
}
