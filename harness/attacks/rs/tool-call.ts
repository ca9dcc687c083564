/**
 * Shared plumbing for the resource-server attack modules: tool calls with hand-built headers (no
 * proof, two proofs, a Bearer token…) sent through `env.request` so they are recorded as attempts,
 * the harmless read and the side-effecting write each case aims at, and identities minted in
 * prepare() that renew themselves before their token expires (long runs outlive a 10-minute token).
 */
import type { ExpectedAttribution } from '../../contracts/attempt.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import { toolPath } from '../../load/send-attempt.ts'
import type { SentRequest } from '../../contracts/wire.ts'
import type { ResourceServerInfo, ToolSpec } from '../../contracts/target.ts'
import { resourceId, type ActionEnv } from '../types.ts'

export interface ToolCall {
  caseId: string
  /** defaults to env.rs */
  rs?: ResourceServerInfo
  tool: ToolSpec
  /** the tenant in the path */
  tenant: string
  resourceId?: string
  /** appended to the request URI only (never to `htu`) */
  query?: string
  /** credential headers exactly as they go on the wire; repeats allowed */
  headers: [string, string][]
  body?: Record<string, unknown>
  expected: ExpectedAttribution
  /** hash of the token presented, if any (the evidence fallback join) */
  tokenHash: string | null
  group?: string
}

/** `htu` for a call: the resource server's public origin plus the path, no query (RFC 9449 §4.2). */
export function htuOf(rs: ResourceServerInfo, tool: ToolSpec, tenant: string, id = ''): string {
  return rs.origin + toolPath(tool, tenant, id)
}

/** Sends one attack tool call with the given headers and records it. */
export function sendToolCall(env: ActionEnv, c: ToolCall): Promise<SentRequest> {
  const rs = c.rs ?? env.rs
  const headers: [string, string][] = [...c.headers]
  let body: string | undefined
  if (c.body) {
    body = JSON.stringify(c.body)
    headers.push(['content-type', 'application/json'])
  }
  const path = toolPath(c.tool, c.tenant, c.resourceId) + (c.query === undefined ? '' : `?${c.query}`)
  return env.request(
    { origin: rs.origin, method: c.tool.method, path, headers, body },
    { kind: 'attack', caseId: c.caseId, group: c.group, tool: c.tool.name, expected: c.expected, tokenHash: c.tokenHash },
  )
}

/** `Authorization: DPoP <token>` plus one `DPoP` header. */
export function dpopHeaders(accessToken: string, proof: string): [string, string][] {
  return [
    ['authorization', `DPoP ${accessToken}`],
    ['dpop', proof],
  ]
}

/** A write tool if the resource server has one (acceptance is then also a side effect), else its first tool. */
export function writeTool(rs: ResourceServerInfo): ToolSpec {
  return rs.tools.find((t) => t.writes) ?? rs.tools[0]
}

/** Resource id and body for a call of `tool`: seeded, and a refund amount well under any ceiling. */
export function callArgs(tool: ToolSpec, salt: number): { resourceId: string; body?: Record<string, unknown> } {
  if (!tool.writes) return { resourceId: resourceId(tool.name.split('.')[0], salt) }
  const amount = 1 + (salt % 100)
  const body: Record<string, unknown> = { ticket_id: resourceId('tickets', salt), amount: tool.limit ? Math.min(amount, tool.limit.max) : amount }
  return { resourceId: resourceId('x', salt), body }
}

/** Every scope the resource server's tools need: the claims a forged token would grant itself. */
export function allScopes(rs: ResourceServerInfo): string[] {
  return [...new Set(rs.tools.map((t) => t.scope))]
}

/**
 * An identity minted in prepare() that re-mints itself when its token nears expiry. Concurrent
 * callers share one re-mint.
 */
export class Renewing<T extends { expiresAt: number }> {
  #current: T
  #pending: Promise<T> | null = null
  readonly #mint: () => Promise<T>
  readonly #marginMs: number

  private constructor(first: T, mint: () => Promise<T>, marginMs: number) {
    this.#current = first
    this.#mint = mint
    this.#marginMs = marginMs
  }

  /** Mints once now, so a target that cannot mint fails in prepare() (and the case is not-covered there). */
  static async start<T extends { expiresAt: number }>(mint: () => Promise<T>, marginMs = 60_000): Promise<Renewing<T>> {
    return new Renewing(await mint(), mint, marginMs)
  }

  async get(): Promise<T> {
    if (this.#current.expiresAt - Date.now() > this.#marginMs) return this.#current
    this.#pending ??= this.#mint().then(
      (fresh) => {
        this.#current = fresh
        this.#pending = null
        return fresh
      },
      (e: unknown) => {
        this.#pending = null
        throw e
      },
    )
    return this.#pending
  }
}

/** The `act` claim for an actor chain (current actor first), as RFC 8693 §4.1 nests it. */
export function actClaim(actors: readonly string[]): Record<string, unknown> | undefined {
  let act: Record<string, unknown> | undefined
  for (let i = actors.length - 1; i >= 0; i--) act = act === undefined ? { sub: actors[i] } : { sub: actors[i], act }
  return act
}

/** Another identity than `self` (a different client), if the population has one. */
export function otherIdentity(identities: readonly RunIdentity[], self: RunIdentity, salt: number): RunIdentity | undefined {
  const others = identities.filter((i) => i.clientId !== self.clientId)
  return others.length === 0 ? undefined : others[salt % others.length]
}
