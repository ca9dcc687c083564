/**
 * A legitimate workflow step: the agent calls one of the tools its scope allows, on a resource of
 * its own tenant, within the tool's limits.
 */
import type { ActionEnv } from '../../attacks/types.ts'
import { resourceId } from '../../attacks/types.ts'
import { expectedFor, toolsWithin } from '../../contracts/identity.ts'

export async function workflowStep(env: ActionEnv): Promise<void> {
  const tools = toolsWithin(env.rs.tools, env.identity.scope)
  if (tools.length === 0) return
  const tool = tools[env.salt % tools.length]
  const max = tool.limit?.max ?? 1000
  await env.send({
    kind: 'legit',
    tool,
    tenant: env.identity.tenant,
    resourceId: resourceId(tool.name.split('.')[0], env.salt),
    body: tool.writes ? { ticket_id: resourceId('tickets', env.salt), amount: 1 + (env.salt % Math.max(1, Math.floor(max / 2))) } : undefined,
    credential: env.identity.credential,
    expected: expectedFor(env.identity, tool, env.rs),
    scheduledAt: env.scheduledAt,
  })
}
