/**
 * The attack-case type: one named way to cross a boundary, with its rule, grading, the responses a
 * correct target may give and the evidence it must write (docs/attack-catalog.md). The catalog
 * itself (attacks/catalog/) is data of this type; the oracle grades from it alone.
 */
import type { ReasonArea } from './evidence.ts'

export type AttackClass = 'replay' | 'escalate' | 'unattributed' | 'lifecycle'

export type Grading = 'must' | 'should' | 'may' | 'policy'

export interface ExpectedResponse {
  status: number
  /** OAuth error code; null means the response must carry none (e.g. no credentials were sent) */
  error: string | null
  /** challenge scheme where the RFC fixes it */
  scheme?: 'DPoP' | 'Bearer'
}

export interface AttackCase {
  id: string
  class: AttackClass
  title: string
  rule: string
  refs: string[]
  owasp: string[]
  grading: Grading
  /** any listed response passes */
  expect: ExpectedResponse[]
  evidence: {
    decision: 'deny'
    area: ReasonArea
    /** how the deny record must attribute the call: to the token's principal and actors, or to nobody */
    attribution: 'token' | 'anonymous'
    /** detail fields a reviewer needs; reported when missing */
    detail: string[]
  }
  /** the attempt tries a write: a refusal must leave no side effect */
  write: boolean
  /**
   * A control case: a correct target ACCEPTS it (e.g. htu with an upper-case host). Expect 2xx and an
   * allow record; a refusal is graded by `grading` (usually a warn), never a breach.
   */
  control?: boolean
  /**
   * Judge the issued token rather than the status (RFC 8693 §2.2.1, RFC 6749 §3.3): a 200 whose
   * token is no wider than the subject's is a pass; only a wider one is accepted-as-attack.
   * `side-effect` (with `write`): judge a 2xx by the target's state, as the attempt's side-effect
   * probe saw it. Where the RFC lets a server answer 200 to a request it ignores (RFC 7009 §2.2), a
   * 2xx that changed nothing is a warn (the rule asks for a refusal); only one that did is accepted.
   */
  judge?: 'issued-token' | 'side-effect'
  /** judged as a group (attempts sharing `group`): at most one of N may be accepted */
  concurrency?: boolean
  /** target capabilities the case needs; without them it is not-covered */
  needs?: (keyof import('../contracts/target.ts').TargetCapabilities)[]
  /**
   * the case calls an internal endpoint of this role that the target declares
   * (ResourceServerInfo.internalPaths); a target that declares none leaves it not-covered
   */
  internalPath?: 'admin' | 'peer'
  /** with `adminHooks` among `needs`: the hooks it calls (a profile's `admin.*` names), so the not-covered reason can name them */
  hooks?: ('rotateSigningKey' | 'retireSigningKey' | 'currentSigningKid' | 'setTokenTtl' | 'sideEffectCount')[]
}

/**
 * A check every issued token gets (contracts/issued-token.ts): not an attack the run sends, but a
 * rule the AS's answers to the run's own requests must keep. Graded like a case: a failed MUST is a
 * breach, anything else a warn (default gates raise the policy checks).
 */
export interface TokenCheck {
  id: string
  /** `issued`: judged on each token; `metadata`: on what the AS publishes, once per run; `evidence`: on each record read */
  class: 'issued' | 'metadata' | 'evidence'
  title: string
  rule: string
  refs: string[]
  owasp: string[]
  grading: Grading
}
