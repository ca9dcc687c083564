/**
 * replay.dpop-iat-window.* (RFC 9449 §4.3 (11), §11.1): proofs created outside the short window a
 * server accepts (an hour in the past or the future: refused), and one 10 s in the future, which
 * a correct server accepts (the `.future-10s` control; rejecting it is a warn).
 */
import { expectedFor } from '../../contracts/identity.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { readableTool, type AttackModule } from '../types.ts'
import { callArgs, htuOf } from './tool-call.ts'

function module(id: string, offsetS: number): AttackModule {
  return {
    id,
    eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
    async fire(env) {
      const tool = readableTool(env.identity, env.rs)!
      const { resourceId } = callArgs(tool, env.salt)
      const cred = env.identity.credential
      const iat = Math.floor(Date.now() / 1000) + offsetS
      await env.send({
        kind: 'attack',
        caseId: this.id,
        tool,
        tenant: env.identity.tenant,
        resourceId,
        credential: cred,
        proof: createDpopProof(cred.key, { htm: tool.method, htu: htuOf(env.rs, tool, env.identity.tenant, resourceId), ath: cred.tokenHash, iat }).proof,
        expected: expectedFor(env.identity, tool, env.rs),
        scheduledAt: env.scheduledAt,
      })
    },
  }
}

export const replayDpopIatFuture10s = module('replay.dpop-iat-window.future-10s', 10)
export const replayDpopIatPast1h = module('replay.dpop-iat-window.past-1h', -3600)
export const replayDpopIatFuture1h = module('replay.dpop-iat-window.future-1h', 3600)
