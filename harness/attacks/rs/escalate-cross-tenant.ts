/**
 * escalate.cross-tenant (OWASP API1, broken object-level authorization; docs/attack-catalog.md Tier 1):
 * an agent of tenant A reads a resource under tenant B's path with its own, valid token and proof.
 * A correct server refuses with 403 or 404 (not even acknowledging B's resource) and records a
 * tenant denial attributed to the agent.
 *
 * prepared: the population's tenants (the case needs two).
 */
import { expectedFor } from '../../contracts/identity.ts'
import { CaseNotCovered, readableTool, type AttackModule } from '../types.ts'
import { callArgs } from './tool-call.ts'

export const escalateCrossTenant: AttackModule = {
  id: 'escalate.cross-tenant',
  eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
  async prepare(kit) {
    const tenants = [...new Set(kit.principals.map((p) => p.tenant))]
    if (tenants.length < 2) throw new CaseNotCovered('the population has one tenant')
    return tenants
  },
  async fire(env) {
    const others = (env.prepared as string[]).filter((t) => t !== env.identity.tenant)
    const victim = others[env.salt % others.length]
    const tool = readableTool(env.identity, env.rs)!
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool,
      tenant: victim,
      ...callArgs(tool, env.salt),
      credential: env.identity.credential,
      expected: { ...expectedFor(env.identity, tool, env.rs), tenant: victim },
      scheduledAt: env.scheduledAt,
    })
  },
}
