/**
 * One request the harness sent, legitimate or attack, as written to the attempt log. Never holds a
 * raw token or proof: tokens appear by hash only (base64url SHA-256, the DPoP `ath` formula).
 */
import type { PrincipalType } from './evidence.ts'

export interface ExpectedAttribution {
  principal: { sub: string | null; type: PrincipalType }
  /** current actor first; [] when the call carries no delegation */
  actors: string[]
  client_id: string | null
  tenant: string
  tool: string
  aud: string
}

export interface AttemptRecord {
  seq: number
  trace_id: string
  request_id: string
  kind: 'legit' | 'attack'
  /** attack case id; absent for legitimate traffic */
  case?: string
  /** attempts judged together (e.g. a replay and the original it copies) share a group */
  group?: string
  /** k6-style scenario name the iteration belonged to */
  scenario: string
  /** the iteration number within the scenario (the seeded schedule's key); absent outside the measured phase */
  iteration?: number
  /** ref of the population identity that carried the iteration (not a client id: refs are seeded, client ids are not) */
  identity?: string
  /** epoch ms: when the open model scheduled it, when it was sent, when it ended */
  scheduled_at: number
  started_at: number
  ended_at: number
  method: string
  path: string
  tool: string
  expected: ExpectedAttribution
  status: number | null
  /** OAuth error code from WWW-Authenticate or the JSON body; null when none */
  error_code: string | null
  /** auth scheme of the first challenge (`DPoP`, `Bearer`), null when none */
  challenge_scheme: string | null
  transport_error: string | null
  token_hash: string | null
  /** for token-endpoint attempts that got a token: what was granted (the token itself is never kept) */
  issued?: {
    scope: string[]
    aud: string | null
    /**
     * whether the token response carried `scope` (RFC 6749 §5.1: REQUIRED when the issued scope
     * differs from the requested one); absent in attempt logs written before it was recorded
     */
    scope_stated?: boolean
  }
  /**
   * for cases judged on the issued token: the most a correct server may grant (the subject's scope
   * and audience); a 200 within it is a lawful narrower grant, beyond it a breach
   */
  ceiling?: { scope: string[]; aud?: string | null }
  /** for attacks that try a write: whether the target's state shows it happened (admin probe); absent when not probed */
  side_effect?: boolean
}
