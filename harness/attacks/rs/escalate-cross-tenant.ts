/**
 * escalate.cross-tenant (OWASP API1, broken object-level authorization; docs/attack-catalog.md Tier 1):
 * an agent of tenant A calls a tool on a resource under tenant B's path with its own, valid token
 * and proof. A correct server refuses with 403 or 404 (not even acknowledging B's resource) and
 * records a tenant denial attributed to the agent.
 *
 * - `escalate.cross-tenant`: every read tool of the resource server the agent holds the scope for.
 * - `escalate.cross-tenant.write`: every write tool it holds the scope for; each refusal is also
 *   checked against the target's state (the side-effect probe, ActionEnv.send), because a tenant
 *   check forgotten on the write path changes another tenant's data.
 *
 * Each firing calls every such tool once, one attempt per tool (each attempt names its tool), so a
 * run that fires the case once still covers every tool, and a tool the check misses shows as its
 * own attempt. Tools the agent lacks the scope for are left out: their refusal would be for scope,
 * and would say nothing about tenants.
 *
 * prepared: the population's tenants (the case needs two).
 */
import type { RunIdentity } from '../../contracts/identity.ts'
import { expectedFor } from '../../contracts/identity.ts'
import type { ResourceServerInfo, ToolSpec } from '../../contracts/target.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { callArgs } from './tool-call.ts'

/** a resource server with more tools than this is tried on its first MAX_TOOLS per firing (bounded requests) */
const MAX_TOOLS = 32

/** The tools of `rs` that read (or write) and that `identity` holds the scope for. */
export function crossTenantTools(identity: RunIdentity, rs: ResourceServerInfo, writes: boolean): ToolSpec[] {
  return rs.tools.filter((t) => t.writes === writes && identity.scope.includes(t.scope)).slice(0, MAX_TOOLS)
}

function crossTenant(id: string, writes: boolean): AttackModule {
  return {
    id,
    eligible: (identity, rs) => crossTenantTools(identity, rs, writes).length > 0,
    async prepare(kit) {
      const tenants = [...new Set(kit.principals.map((p) => p.tenant))]
      if (tenants.length < 2) throw new CaseNotCovered('the population has one tenant')
      return tenants
    },
    async fire(env) {
      const others = (env.prepared as string[]).filter((t) => t !== env.identity.tenant)
      const victim = others[env.salt % others.length]
      for (const tool of crossTenantTools(env.identity, env.rs, writes)) {
        if (env.signal.aborted) return
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
      }
    },
  }
}

export const escalateCrossTenant = crossTenant('escalate.cross-tenant', false)
export const escalateCrossTenantWrite = crossTenant('escalate.cross-tenant.write', true)
