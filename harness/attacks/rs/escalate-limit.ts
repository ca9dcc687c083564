/**
 * escalate.limit.* (OWASP API6): an agent entitled to a tool with a numeric limit (the tool's
 * `limit`: a body field and its maximum, e.g. the refund ceiling) calls it with one value: one unit
 * over, half a unit over, a thousand times over, 1e300, negative; and, as the control, exactly at
 * the limit, which a correct server serves. The refusals are writes refused: the side-effect probe
 * shows whether the write happened anyway.
 *
 * Not covered when no tool of the resource server states a limit.
 */
import { expectedFor, type RunIdentity } from '../../contracts/identity.ts'
import type { ResourceServerInfo, ToolSpec } from '../../contracts/target.ts'
import { CaseNotCovered, resourceId, type AttackModule } from '../types.ts'

/** The value each case sends, from the limit's maximum. */
const VALUES: Record<string, (max: number) => number> = {
  'just-over': (max) => max + 1,
  'fraction-over': (max) => max + 0.5,
  'far-over': (max) => max * 1000 + 1,
  huge: () => 1e300,
  negative: (max) => -Math.max(1, max),
  'at-max': (max) => max,
}

type Limited = ToolSpec & { limit: NonNullable<ToolSpec['limit']> }

const limitedTool = (identity: RunIdentity, rs: ResourceServerInfo): Limited | undefined =>
  rs.tools.find((t): t is Limited => t.limit !== undefined && identity.scope.includes(t.scope))

function limitCase(variant: keyof typeof VALUES): AttackModule {
  return {
    id: `escalate.limit.${variant}`,
    eligible: (identity, rs) => limitedTool(identity, rs) !== undefined,
    async prepare(kit) {
      if (!kit.target.resources.some((r) => r.tools.some((t) => t.limit !== undefined))) throw new CaseNotCovered('no tool of the target states a numeric limit (tools[].limit)')
    },
    async fire(env) {
      const tool = limitedTool(env.identity, env.rs)
      if (!tool) return
      await env.send({
        kind: 'attack',
        caseId: this.id,
        tool,
        tenant: env.identity.tenant,
        resourceId: resourceId('x', env.salt),
        body: { ticket_id: resourceId('tickets', env.salt), [tool.limit.field]: VALUES[variant](tool.limit.max) },
        credential: env.identity.credential,
        expected: expectedFor(env.identity, tool, env.rs),
        scheduledAt: env.scheduledAt,
      })
    },
  }
}

export const escalateLimitJustOver = limitCase('just-over')
export const escalateLimitFractionOver = limitCase('fraction-over')
export const escalateLimitFarOver = limitCase('far-over')
export const escalateLimitHuge = limitCase('huge')
export const escalateLimitNegative = limitCase('negative')
export const escalateLimitAtMax = limitCase('at-max')
