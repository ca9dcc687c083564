import type { RunIdentity } from '../load/identity.ts'
import type { AttemptSpec, SentAttempt } from '../load/send-attempt.ts'
import type { ResourceServerInfo, ToolSpec } from '../target/types.ts'

/** Everything one action (a workflow step or an attack) may use; it sends only through `send`. */
export interface ActionEnv {
  identity: RunIdentity
  rs: ResourceServerInfo
  scenario: string
  scheduledAt: number
  /** seeded number for resource ids and amounts */
  salt: number
  signal: AbortSignal
  send(spec: Omit<AttemptSpec, 'scenario' | 'rs' | 'signal'>): Promise<SentAttempt>
}

/** One module per attack case: which identities can carry it, and how to fire it. */
export interface AttackModule {
  id: string
  eligible(identity: RunIdentity, rs: ResourceServerInfo): boolean
  fire(env: ActionEnv): Promise<void>
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
