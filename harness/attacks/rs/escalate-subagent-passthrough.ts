/**
 * escalate.subagent-passthrough (ASI03; RFC 9700 §2.3): a sub-agent skips its own, narrower token
 * and calls with its PARENT's token, signing the proof with its own key (`ath` over the parent's
 * token, so the proof itself is well-formed). The parent's token is bound to the parent's key, so
 * the key binding fails (RFC 9449 §4.3 (12)): 401 DPoP invalid_token. The token is genuine, so the
 * record names its principal and the parent's actor chain. It aims at a tool the parent may call and
 * the sub-agent may not (the write tool, typically), so acceptance would be a real escalation.
 *
 * prepared: the population by client id, to find a sub-agent's parent (actors[1]).
 */
import { expectedFor, type RunIdentity } from '../../contracts/identity.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { readableTool, type AttackModule } from '../types.ts'
import { callArgs, htuOf } from './tool-call.ts'

export const escalateSubagentPassthrough: AttackModule = {
  id: 'escalate.subagent-passthrough',
  eligible: (identity) => identity.kind === 'sub-agent' && identity.actors.length > 1,
  prepare: async (kit) => new Map(kit.identities.map((i) => [i.clientId, i])),
  async fire(env) {
    const parent = (env.prepared as Map<string, RunIdentity>).get(env.identity.actors[1])
    if (!parent) return
    const tool = env.rs.tools.find((t) => parent.scope.includes(t.scope) && !env.identity.scope.includes(t.scope)) ?? readableTool(parent, env.rs)
    if (!tool) return
    const args = callArgs(tool, env.salt)
    const stolen = parent.credential
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      ...args,
      credential: stolen,
      proof: createDpopProof(env.identity.credential.key, { htm: tool.method, htu: htuOf(env.rs, tool, env.identity.tenant, args.resourceId), ath: stolen.tokenHash }).proof,
      expected: expectedFor(parent, tool, env.rs),
      scheduledAt: env.scheduledAt,
    })
  },
}
