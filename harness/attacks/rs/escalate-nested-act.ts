/**
 * escalate.nested-act (RFC 8693 §4.1 MUST): a sub-agent whose PARENT holds the write scope, but
 * which was itself narrowed below it, calls the write tool. The parent appears only as a nested
 * (prior) actor; access control must use the token's own claims and the current actor, so the call
 * is refused with insufficient_scope, and the record carries the whole chain (sub-agent > parent).
 *
 * prepared: a fresh agent with the write scope and a fresh sub-agent without it, re-minted before
 * the sub-agent's token expires.
 */
import { expectedFor } from '../../contracts/identity.ts'
import type { FreshIdentity } from '../kit.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { callArgs, Renewing } from './tool-call.ts'

export const escalateNestedAct: AttackModule = {
  id: 'escalate.nested-act',
  eligible: () => true,
  async prepare(kit) {
    const rs = kit.target.resources[0]
    const write = rs.tools.find((t) => t.writes)
    if (!write) throw new CaseNotCovered('the resource server has no write tool')
    const entitled = (e: string[]) => e.includes(write.scope) && rs.tools.some((t) => t.scope !== write.scope && e.includes(t.scope))
    const principal = kit.principals.find((p) => entitled(p.entitlements))
    if (!principal) throw new CaseNotCovered(`no principal holds ${write.scope} and another tool scope`)
    return Renewing.start(async () => {
      const parent = await kit.freshAgent(principal)
      return kit.freshSubAgent(parent, parent.scope.filter((s) => s !== write.scope))
    })
  },
  async fire(env) {
    const sub = await (env.prepared as Renewing<FreshIdentity>).get()
    const tool = env.rs.tools.find((t) => t.writes)!
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool,
      tenant: sub.tenant,
      ...callArgs(tool, env.salt),
      credential: sub.credential,
      expected: expectedFor(sub, tool, env.rs),
      scheduledAt: env.scheduledAt,
    })
  },
}
