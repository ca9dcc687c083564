/**
 * An attempt on the wire: the request the harness sends, what it says about itself (the attempt's
 * metadata), and what comes back. The raw token and proof live here in memory only; records keep hashes.
 */
import type { AttemptRecord, ExpectedAttribution } from './attempt.ts'
import type { Credential } from './identity.ts'
import type { ResourceServerInfo, ToolSpec } from './target.ts'

/** A request exactly as it goes on the wire; header values may repeat (two DPoP headers…). */
export interface WireRequest {
  origin: string
  method: string
  path: string
  headers?: [string, string][]
  body?: string
}

export interface AttemptMeta {
  kind: 'legit' | 'attack'
  caseId?: string
  group?: string
  scenario: string
  scheduledAt: number
  tool: string
  expected: ExpectedAttribution
  tokenHash: string | null
  ceiling?: AttemptRecord['ceiling']
  signal?: AbortSignal
  /** a new connection of its own (Http1Request.fresh) */
  freshConnection?: boolean
}

export interface SentRequest {
  record: AttemptRecord
  /** parsed JSON body, if any (token responses); never written anywhere */
  json: unknown
}

export interface AttemptSpec {
  kind: 'legit' | 'attack'
  caseId?: string
  group?: string
  scenario: string
  scheduledAt: number
  rs: ResourceServerInfo
  tool: ToolSpec
  tenant: string
  resourceId?: string
  body?: Record<string, unknown>
  /** null sends no credential at all */
  credential: Credential | null
  /** a proof to send as is (a replay); otherwise a fresh one is made */
  proof?: string
  expected: ExpectedAttribution
  signal?: AbortSignal
  /** sent on a new connection of its own, so copies fired together reach different replicas behind a front */
  freshConnection?: boolean
}

export interface SentAttempt {
  record: AttemptRecord
  /** the proof that went out, kept in memory only so a replay case can resend it */
  proof: string | null
}
