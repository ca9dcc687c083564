/**
 * replay.dpop-htu-htm.* (RFC 9449 §4.3 (8)(9)): a proof captured from one request, replayed on
 * another. `.other-uri`: the proof names another tool's URI. `.other-method`: the proof names the
 * other method (POST for a GET tool, GET for a POST one). Everything else about the proof is right.
 */
import { expectedFor } from '../../contracts/identity.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { readableTool, type AttackModule } from '../types.ts'
import { callArgs, htuOf } from './tool-call.ts'

function module(id: string, variant: 'other-uri' | 'other-method'): AttackModule {
  return {
    id,
    eligible: (identity, rs) => readableTool(identity, rs) !== undefined && (variant === 'other-method' || rs.tools.length > 1),
    async fire(env) {
      const tool = readableTool(env.identity, env.rs)!
      const { resourceId } = callArgs(tool, env.salt)
      const cred = env.identity.credential
      let htm = tool.method
      let htu = htuOf(env.rs, tool, env.identity.tenant, resourceId)
      if (variant === 'other-method') htm = tool.method === 'GET' ? 'POST' : 'GET'
      else {
        const other = env.rs.tools.find((t) => t.name !== tool.name)!
        htu = htuOf(env.rs, other, env.identity.tenant, callArgs(other, env.salt).resourceId)
      }
      await env.send({
        kind: 'attack',
        caseId: this.id,
        tool,
        tenant: env.identity.tenant,
        resourceId,
        credential: cred,
        proof: createDpopProof(cred.key, { htm, htu, ath: cred.tokenHash }).proof,
        expected: expectedFor(env.identity, tool, env.rs),
        scheduledAt: env.scheduledAt,
      })
    },
  }
}

export const replayDpopHtuOtherUri = module('replay.dpop-htu-htm.other-uri', 'other-uri')
export const replayDpopHtmOtherMethod = module('replay.dpop-htu-htm.other-method', 'other-method')
