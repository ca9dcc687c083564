/**
 * The reference tools as data (the adapter hands this list to the harness as ResourceServerInfo.tools)
 * and the router that maps a request onto one of them.
 */
import type { ToolSpec } from '../../../harness/target/types.ts'

export const POLICY_ID = 'reference-tools-v1'

export const TOOLS: ToolSpec[] = [
  { name: 'ticket.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read', writes: false },
  { name: 'customer.read', method: 'GET', path: '/t/{tenant}/customers/{id}', scope: 'customers:read', writes: false },
  {
    name: 'refund.issue',
    method: 'POST',
    path: '/t/{tenant}/refunds',
    scope: 'refunds:write',
    writes: true,
    limit: { field: 'amount', max: 500 },
  },
]

export function toolScopes(tools: readonly ToolSpec[] = TOOLS): string[] {
  return [...new Set(tools.map((t) => t.scope))]
}

export interface ToolRoute {
  tool: ToolSpec
  tenant: string
  id: string | null
}

const SEGMENT = '([A-Za-z0-9_.~-]{1,128})'

const COMPILED = TOOLS.map((tool) => {
  const names: string[] = []
  const source = tool.path
    .split('/')
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part)
      if (m === null) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      names.push(m[1])
      return SEGMENT
    })
    .join('/')
  return { tool, names, pattern: new RegExp(`^${source}$`) }
})

/** The tool this method and path call, or null (not a tool call). */
export function matchTool(method: string, pathname: string): ToolRoute | null {
  for (const c of COMPILED) {
    if (c.tool.method !== method) continue
    const m = c.pattern.exec(pathname)
    if (m === null) continue
    const params: Record<string, string> = {}
    c.names.forEach((n, i) => (params[n] = m[i + 1]))
    return { tool: c.tool, tenant: params.tenant, id: params.id ?? null }
  }
  return null
}
