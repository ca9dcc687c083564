/**
 * The reference tools as data, per resource server (the adapter hands each list to the harness as
 * ResourceServerInfo.tools), and the router that maps a request onto one of them. rs-1 holds the
 * support tools, rs-2 a knowledge base; they have distinct audiences, so a token for one is refused
 * at the other.
 */
import type { ToolSpec } from '../../../harness/contracts/target.ts'

export const POLICY_ID = 'reference-tools-v1'

/** rs-1: tickets, customers, refunds */
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

/** rs-2: the knowledge base */
export const KB_TOOLS: ToolSpec[] = [
  { name: 'kb.read', method: 'GET', path: '/t/{tenant}/kb/{id}', scope: 'tickets:read', writes: false },
]

/** The resource servers of the reference target, in start order. */
export const RESOURCE_SERVERS: readonly { id: string; tools: readonly ToolSpec[] }[] = [
  { id: 'rs-1', tools: TOOLS },
  { id: 'rs-2', tools: KB_TOOLS },
]

export function toolsOf(rsId: string): readonly ToolSpec[] {
  const rs = RESOURCE_SERVERS.find((r) => r.id === rsId)
  if (rs === undefined) throw new TypeError(`unknown resource server ${rsId}`)
  return rs.tools
}

export function toolScopes(tools: readonly ToolSpec[] = TOOLS): string[] {
  return [...new Set(tools.map((t) => t.scope))]
}

export interface ToolRoute {
  tool: ToolSpec
  tenant: string
  id: string | null
}

export type ToolRouter = (method: string, pathname: string) => ToolRoute | null

const SEGMENT = '([A-Za-z0-9_.~-]{1,128})'

/** A router over one tool set: the tool a method and path call, or null (not a tool call). */
export function toolRouter(tools: readonly ToolSpec[]): ToolRouter {
  const compiled = tools.map((tool) => {
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
  return (method, pathname) => {
    for (const c of compiled) {
      if (c.tool.method !== method) continue
      const m = c.pattern.exec(pathname)
      if (m === null) continue
      const params: Record<string, string> = {}
      c.names.forEach((n, i) => (params[n] = m[i + 1]))
      return { tool: c.tool, tenant: params.tenant, id: params.id ?? null }
    }
    return null
  }
}
