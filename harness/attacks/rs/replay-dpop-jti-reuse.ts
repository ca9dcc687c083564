/**
 * replay.dpop-jti-reuse (RFC 9449 §11.1): capture a request that worked and send it again with the
 * very same proof. The original is ordinary traffic; only the resend is the attack.
 */
import { expectedFor } from '../../contracts/identity.ts'
import { readableTool, resourceId, type AttackModule } from '../types.ts'

export const replayDpopJtiReuse: AttackModule = {
  id: 'replay.dpop-jti-reuse',
  eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
  async fire(env) {
    const tool = readableTool(env.identity, env.rs)!
    const base = {
      tool,
      tenant: env.identity.tenant,
      resourceId: resourceId(tool.name.split('.')[0], env.salt),
      credential: env.identity.credential,
      expected: expectedFor(env.identity, tool, env.rs),
      scheduledAt: env.scheduledAt,
      group: `replay-${env.salt}`,
    }
    const original = await env.send({ ...base, kind: 'legit' })
    if (env.signal.aborted || original.proof === null) return
    await env.send({ ...base, kind: 'attack', caseId: this.id, proof: original.proof })
  },
}
