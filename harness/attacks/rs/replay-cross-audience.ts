/**
 * replay.cross-audience (RFC 9068 §4, RFC 8707 §2, RFC 8725 §3.9; ASI04): a tool server that
 * received an agent's token replays it, with a proof of its own making for the other server's URI
 * (here: the agent's own key, the strongest form of the replay), at a second resource server. The
 * token is genuine but names another audience: refused as invalid_token. Its signature verified, so
 * the refusal can still name the token's principal and actor chain (the reference does).
 *
 * Needs a second resource server (target.resources[1]); without one the case is not-covered.
 */
import { expectedFor } from '../../contracts/identity.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { callArgs } from './tool-call.ts'

export const replayCrossAudience: AttackModule = {
  id: 'replay.cross-audience',
  eligible: () => true,
  async prepare(kit) {
    const other = kit.target.resources[1]
    if (!other) throw new CaseNotCovered('the target has one resource server; a token needs another audience to be replayed at')
    return other
  },
  async fire(env) {
    const other = env.prepared as ResourceServerInfo
    // the tool the stolen token's scope would cover if the audience were ignored
    const tool = other.tools.find((t) => !t.writes && env.identity.scope.includes(t.scope)) ?? other.tools.find((t) => !t.writes) ?? other.tools[0]
    const args = callArgs(tool, env.salt)
    await env.send({
      kind: 'attack',
      caseId: this.id,
      rs: other,
      tool,
      tenant: env.identity.tenant,
      ...args,
      credential: env.identity.credential,
      expected: expectedFor(env.identity, tool, other),
      scheduledAt: env.scheduledAt,
    })
  },
}
