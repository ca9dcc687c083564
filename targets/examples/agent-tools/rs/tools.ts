/**
 * The tools this API serves, per tool set: what each needs (scope) and what it returns. Support:
 * tickets, customers and refunds (the one write, with a ceiling); kb: knowledge-base articles.
 * Reads return deterministic made-up data derived from the id.
 */
import { createHash } from 'node:crypto'

export interface Tool {
  name: string
  method: 'GET' | 'POST'
  /** express route path */
  path: string
  scope: string
}

export const SUPPORT_TOOLS: Tool[] = [
  { name: 'ticket.read', method: 'GET', path: '/t/:tenant/tickets/:id', scope: 'tickets:read' },
  { name: 'customer.read', method: 'GET', path: '/t/:tenant/customers/:id', scope: 'customers:read' },
  { name: 'refund.issue', method: 'POST', path: '/t/:tenant/refunds', scope: 'refunds:write' },
]

export const KB_TOOLS: Tool[] = [{ name: 'kb.read', method: 'GET', path: '/t/:tenant/kb/:id', scope: 'kb:read' }]

function seed(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('/')).digest()
}

const pick = <T>(s: Buffer, i: number, xs: readonly T[]): T => xs[s[i] % xs.length]

export function readTicket(tenant: string, id: string): Record<string, unknown> {
  const s = seed(tenant, 'ticket', id)
  return { id, tenant, subject: `${pick(s, 0, ['Refund request', 'Login problem', 'Damaged item', 'Late delivery'])} #${s.readUInt16BE(1)}`, status: pick(s, 3, ['open', 'pending', 'solved']) }
}

export function readCustomer(tenant: string, id: string): Record<string, unknown> {
  const s = seed(tenant, 'customer', id)
  return { id, tenant, name: `${pick(s, 0, ['Ada', 'Grace', 'Alan', 'Barbara'])} ${pick(s, 1, ['Lovelace', 'Hopper', 'Turing', 'Liskov'])}`, tier: pick(s, 2, ['free', 'pro', 'enterprise']) }
}

export function readArticle(tenant: string, id: string): Record<string, unknown> {
  const s = seed(tenant, 'kb', id)
  return { id, tenant, title: `How to ${pick(s, 0, ['reset a password', 'issue a refund', 'escalate a ticket'])}` }
}

export interface Refund {
  ticket_id: string
  amount: number
}

export function parseRefund(body: unknown): Refund | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null
  const b = body as Record<string, unknown>
  if (typeof b.ticket_id !== 'string' || b.ticket_id.length === 0 || b.ticket_id.length > 128) return null
  if (typeof b.amount !== 'number' || !Number.isFinite(b.amount) || b.amount <= 0) return null
  return { ticket_id: b.ticket_id, amount: b.amount }
}
