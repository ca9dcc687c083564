/**
 * What the tools do once a call is allowed. Reads return deterministic data derived from the id;
 * refunds are the one side effect, kept in memory so the harness can check (through the admin
 * endpoint) that a refused refund left nothing behind.
 */
import { createHash } from 'node:crypto'
import type { ToolRoute } from './tools.ts'

function pick<T>(seed: Buffer, offset: number, options: readonly T[]): T {
  return options[seed[offset] % options.length]
}

function seedOf(route: ToolRoute): Buffer {
  return createHash('sha256').update(`${route.tenant}/${route.tool.name}/${route.id ?? ''}`).digest()
}

export function readTicket(route: ToolRoute): Record<string, unknown> {
  const s = seedOf(route)
  return {
    id: route.id,
    tenant: route.tenant,
    subject: `${pick(s, 0, ['Refund request', 'Login problem', 'Damaged item', 'Late delivery'])} #${s.readUInt16BE(1)}`,
    status: pick(s, 3, ['open', 'pending', 'solved']),
    priority: pick(s, 4, ['low', 'normal', 'high']),
    customer_id: `c_${s.readUInt32BE(5).toString(36)}`,
  }
}

export function readCustomer(route: ToolRoute): Record<string, unknown> {
  const s = seedOf(route)
  return {
    id: route.id,
    tenant: route.tenant,
    name: `${pick(s, 0, ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara'])} ${pick(s, 1, ['Lovelace', 'Hopper', 'Turing', 'Liskov'])}`,
    tier: pick(s, 2, ['free', 'pro', 'enterprise']),
  }
}

export function readArticle(route: ToolRoute): Record<string, unknown> {
  const s = seedOf(route)
  return {
    id: route.id,
    tenant: route.tenant,
    title: `How to ${pick(s, 0, ['reset a password', 'issue a refund', 'escalate a ticket', 'merge customers'])}`,
    updated: `2026-${String(1 + (s[1] % 12)).padStart(2, '0')}-${String(1 + (s[2] % 28)).padStart(2, '0')}`,
    words: 200 + s.readUInt16BE(3) % 1800,
  }
}

export interface RefundRequest {
  ticket_id: string
  amount: number
}

/**
 * Parses a refund body; null when it is not `{ticket_id: string, amount: number > 0}`.
 * `nonPositive` (flaw refund-negative-accepted) lets a zero or negative amount through.
 */
export function parseRefund(body: Buffer, opts: { nonPositive?: boolean } = {}): RefundRequest | null {
  try {
    const v = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    if (v === null || typeof v !== 'object') return null
    if (typeof v.ticket_id !== 'string' || v.ticket_id.length === 0 || v.ticket_id.length > 128) return null
    if (typeof v.amount !== 'number' || !Number.isFinite(v.amount) || (v.amount <= 0 && !opts.nonPositive)) return null
    return { ticket_id: v.ticket_id, amount: v.amount }
  } catch {
    return null
  }
}

/** Issued refunds, counted per trace id (the harness's attempt id) and in total. */
export class RefundLedger {
  readonly #byTrace = new Map<string, number>()
  #total = 0
  #seq = 0

  issue(refund: RefundRequest, tenant: string, traceId: string | null): Record<string, unknown> {
    this.#total++
    const key = traceId ?? ''
    this.#byTrace.set(key, (this.#byTrace.get(key) ?? 0) + 1)
    return { refund_id: `rf_${++this.#seq}`, tenant, ticket_id: refund.ticket_id, amount: refund.amount, status: 'issued' }
  }

  count(traceId: string | null): number {
    return traceId === null ? this.#total : (this.#byTrace.get(traceId) ?? 0)
  }
}
