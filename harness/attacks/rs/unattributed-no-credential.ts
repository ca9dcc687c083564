/**
 * unattributed.no-credential (RFC 6750 §3.1, RFC 9449 Fig. 15): a tool call with no token and no
 * proof. It tries a write, so acceptance would also leave a refund nobody can be held to.
 */
import { anonymousExpected } from '../../contracts/identity.ts'
import { resourceId, type AttackModule } from '../types.ts'

export const unattributedNoCredential: AttackModule = {
  id: 'unattributed.no-credential',
  eligible: () => true,
  async fire(env) {
    const tool = env.rs.tools.find((t) => t.writes) ?? env.rs.tools[0]
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      resourceId: resourceId('x', env.salt),
      body: tool.writes ? { ticket_id: resourceId('tickets', env.salt), amount: 1 + (env.salt % 100) } : undefined,
      credential: null,
      expected: anonymousExpected(env.identity.tenant, tool, env.rs),
      scheduledAt: env.scheduledAt,
    })
  },
}
