/**
 * Issued-token checks (docs/architecture.md, "Issued-token checks"): every token the run receives
 * (provisioning, re-exchange, key rotation, attack set-up) is held against what was asked for and
 * what the client may hold. Enrollment reports each token with what it asked for through an
 * IssuedTokenObserver; the oracle (oracle/issued-token.ts) judges it and keeps counts and a few
 * examples, never the token itself.
 */

/** What the harness knew and asked for when it received a token. */
export interface IssuedTokenRequest {
  /** where the token came from: `provisioning`, `re-exchange`, `key-rotation` or the attack case whose set-up asked for it */
  source: string
  /** the AS's issuer identifier: the token's `iss` */
  issuer: string
  /** the identity's run ref (`a12.1`, `case-3`) */
  ref: string
  clientId: string
  /** RFC 7638 thumbprint of the key the client proves possession of (the `cnf.jkt` it must get) */
  jkt: string
  /** the principal the chain acts for: the token's `sub` */
  principal: string
  /** client ids, current actor first: the nested `act` chain the token must carry */
  actors: readonly string[]
  /** RFC 8707 resource asked for: the token's audience */
  resource: string
  /** the scope the client registered (RFC 7591 `scope`): it may hold no more; null for a pre-registered client (not the harness's to know) */
  registeredScope: readonly string[] | null
  /** the scope of the subject token it exchanged (an agent: its principal's entitlements; a sub-agent: its parent's grant); null when unknown */
  subjectScope: readonly string[] | null
}

/** The token response as received (RFC 6749 §5.1; RFC 8693 §2.2.1). Never stored. */
export interface IssuedTokenResponse {
  access_token: string
  token_type: string
  expires_in?: number
  scope?: string
  /** the response's Cache-Control header; undefined when the harness did not see the response's headers */
  cache_control?: string | null
}

export type IssuedTokenObserver = (request: IssuedTokenRequest, response: IssuedTokenResponse, receivedAt: number) => void

/** The checks and what they concluded, as the run keeps them (context.json) and re-grades them. */
export interface IssuedTokenSummary {
  /** tokens received */
  tokens: number
  /** the policy maximum lifetime the lifetime check used, seconds */
  max_lifetime_s: number
  checks: IssuedCheckOutcome[]
}

export interface IssuedCheckOutcome {
  /** check id (`issued.cnf-jkt`) */
  id: string
  /** tokens the check could judge */
  checked: number
  failed: number
  /** tokens it could not judge (an opaque access token), with the first reason */
  not_judged: number
  not_judged_reason?: string
  /** the first failing tokens, by hash */
  examples: { token_hash: string; source: string; ref: string; why: string }[]
}
