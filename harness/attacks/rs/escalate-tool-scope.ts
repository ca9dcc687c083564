/**
 * escalate.tool-scope (RFC 6750 §3.1): an agent calls a tool whose scope its token lacks. Uses the
 * write tool where it can, so an accepted attempt would also be a side effect.
 */
import { expectedFor } from '../../contracts/identity.ts'
import { resourceId, type AttackModule } from '../types.ts'

export const escalateToolScope: AttackModule = {
  id: 'escalate.tool-scope',
  eligible: (identity, rs) => rs.tools.some((t) => !identity.scope.includes(t.scope)),
  async fire(env) {
    const outside = env.rs.tools.filter((t) => !env.identity.scope.includes(t.scope))
    const tool = outside.find((t) => t.writes) ?? outside[0]
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      resourceId: resourceId('x', env.salt),
      body: tool.writes ? { ticket_id: resourceId('tickets', env.salt), amount: 1 + (env.salt % 100) } : undefined,
      credential: env.identity.credential,
      expected: expectedFor(env.identity, tool, env.rs),
      scheduledAt: env.scheduledAt,
    })
  },
}
