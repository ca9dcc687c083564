/**
 * A legitimate workflow step: the agent calls one of the tools its scope allows, on a resource of
 * its own tenant, within the tool's limits.
 */
import type { ActionEnv } from '../../attacks/types.ts'
import { resourceId } from '../../attacks/types.ts'
import { expectedFor, toolsWithin } from '../../contracts/identity.ts'
import type { ToolSpec } from '../../contracts/target.ts'

export async function workflowStep(env: ActionEnv): Promise<void> {
  const tools = toolsWithin(env.rs.tools, env.identity.scope)
  if (tools.length === 0) return
  const tool = tools[env.salt % tools.length]
  const args = legitimateArgs(tool, env.salt)
  await env.send({
    kind: 'legit',
    tool,
    tenant: env.identity.tenant,
    resourceId: args.id,
    body: args.body,
    credential: env.identity.credential,
    expected: expectedFor(env.identity, tool, env.rs),
    scheduledAt: env.scheduledAt,
  })
}

/**
 * What a legitimate call of `tool` sends, seeded by `salt`: an id named after the tool and, for a
 * write, a refund-shaped body with an amount well within the tool's limit (a legitimate call must
 * never be refused for its amount). `target check --call-writes` sends the same, so what it
 * finds is what a run's load will meet.
 */
export function legitimateArgs(tool: ToolSpec, salt: number): { id: string; body: Record<string, unknown> | undefined } {
  const id = resourceId(tool.name.split('.')[0], salt)
  if (!tool.writes) return { id, body: undefined }
  const max = tool.limit?.max ?? 1000
  return { id, body: { ticket_id: resourceId('tickets', salt), amount: Math.min(max, 1 + (salt % Math.max(1, Math.floor(max / 2)))) } }
}
