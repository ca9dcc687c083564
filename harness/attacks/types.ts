import type { ExpectedAttribution } from '../contracts/attempt.ts'
import type { RunIdentity } from '../contracts/identity.ts'
import type { AttemptMeta, AttemptSpec, SentAttempt, SentRequest, WireRequest } from '../contracts/wire.ts'
import type { AsMetadata } from '../protocol/oauth-client.ts'
import type { ResourceServerInfo, StartedTarget, ToolSpec } from '../contracts/target.ts'
import type { CaseKit } from './kit.ts'

/** Everything one action (a workflow step or an attack) may use; it sends only through `send`/`request`. */
export interface ActionEnv {
  identity: RunIdentity
  /** the resource server workflows call (the target's first) */
  rs: ResourceServerInfo
  target: StartedTarget
  meta: AsMetadata
  scenario: string
  scheduledAt: number
  /** seeded number for resource ids and amounts */
  salt: number
  signal: AbortSignal
  /** what this case's prepare() returned, if it has one */
  prepared: unknown
  /** a tool call at a resource server with the identity's usual DPoP credential (or none) */
  send(spec: Omit<AttemptSpec, 'scenario' | 'rs' | 'signal'> & { rs?: ResourceServerInfo }): Promise<SentAttempt>
  /**
   * any request exactly as given (token endpoint, malformed headers…), recorded as an attempt.
   * `sideEffect`: for an attack that tries a write the target's state can show (a deletion, a
   * revocation, a registration), asked with the answer once it is in and before the attempt is
   * logged; its answer is the attempt's `side_effect` (a probe that fails leaves it unknown).
   */
  request(req: WireRequest, meta: Omit<AttemptMeta, 'scenario' | 'signal' | 'scheduledAt'> & { sideEffect?: (sent: SentRequest) => Promise<boolean> }): Promise<SentRequest>
}

/**
 * One module per attack case: which identities can carry it, what it needs set up before the
 * measured phase, and how to fire it. A prepare() that throws CaseNotCovered leaves the case
 * `not-covered` (lost coverage, never a pass).
 */
export interface AttackModule {
  id: string
  eligible(identity: RunIdentity, rs: ResourceServerInfo): boolean
  prepare?(kit: CaseKit): Promise<unknown>
  /**
   * prepare() changes target-wide state (e.g. rotates and retires signing keys): it runs alone,
   * after every other case's prepare() has minted what it needs.
   */
  exclusive?: boolean
  fire(env: ActionEnv): Promise<void>
}

export class CaseNotCovered extends Error {
  code = 'ERR_CASE_NOT_COVERED'
}

export function toolByName(rs: ResourceServerInfo, name: string): ToolSpec {
  const tool = rs.tools.find((t) => t.name === name)
  if (!tool) throw new TypeError(`target has no tool ${name}`)
  return tool
}

/** A tool the identity may call that only reads, for attacks that need a harmless request. */
export function readableTool(identity: RunIdentity, rs: ResourceServerInfo): ToolSpec | undefined {
  return rs.tools.find((t) => !t.writes && identity.scope.includes(t.scope))
}

export function resourceId(prefix: string, salt: number): string {
  return `${prefix}_${(salt % 100_000).toString().padStart(5, '0')}`
}

/** Attribution for a call at the token endpoint by `clientId` acting for `principal`. */
export function tokenEndpointExpected(meta: AsMetadata, tool: string, who: { principal: string | null; actors: string[]; clientId: string | null; tenant: string }): ExpectedAttribution {
  return {
    principal: who.principal === null ? { sub: null, type: 'anonymous' } : { sub: who.principal, type: 'user' },
    actors: who.actors,
    client_id: who.clientId,
    tenant: who.tenant,
    tool,
    aud: meta.issuer,
  }
}
