/**
 * The resource server's decision for one tool call, checks in a fixed order (RFC 6750 §3.1,
 * RFC 9449 §7 and §4.3, RFC 9068 §4, then delegation policy, scope, tenant and limits). The result
 * carries what the response and the evidence record need. Decisions use only top-level claims and
 * the current actor (RFC 8693 §4.1): nested actors are recorded, never trusted.
 *
 * Each flaw switch named here (flaws.ts) skips exactly one check, for the mutation self-test.
 */
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { hasFlaw, type FlawName } from '../flaws.ts'
import { checkDpopProof, normalizeHtu, type ProofCheck } from '../shared/dpop-proof.ts'
import type { PublicKeyCache } from '../shared/jwk-keys.ts'
import type { ReplayStore } from '../shared/replay-store.ts'
import { JWKS_UNAVAILABLE, type AccessClaims, type AccessTokenVerifier } from './access-token-verifier.ts'
import { bearerDowngradeChallenge, dpopChallenge } from './challenge.ts'
import { parseRefund, type RefundRequest } from './tool-handlers.ts'
import type { ToolRoute } from './tools.ts'

export interface CallContext {
  method: string
  pathname: string
  route: ToolRoute
  /** every Authorization header value the request carried (req.headersDistinct: Node keeps only the first in req.headers) */
  authorization: readonly string[]
  /** the DPoP header: its one value, null, or 'multiple' */
  dpop: string | null | 'multiple'
  body: Buffer
  nowMs: number
  /**
   * The request's Host and X-Forwarded-Host headers, as sent. A correct server never builds the
   * expected htu from them (a client chooses them); only the flaw dpop-htu-from-host-header reads them.
   */
  host?: string | null
  forwardedHost?: string | null
}

/** What authentication alone looks at (a request the public listener does not route has no tool). */
export type AuthContext = Omit<CallContext, 'route' | 'body'>

/** How far a proof's iat may be from the server clock, either way (RFC 9449 §4.3 (11)); the adapter declares it as policy.dpopProofWindowS. */
export const DPOP_IAT_WINDOW_S = 60

/** flaw replay-cache-short-ttl: the replay store keeps a jti for this long, whatever the proof window */
const SHORT_REPLAY_TTL_MS = 3_000

export interface Outcome {
  decision: 'allow' | 'deny'
  status: number
  reason: string
  error?: string
  description?: string
  challenge?: string | string[]
  headers?: Record<string, string>
  claims: AccessClaims | null
  tokenHash: string | null
  proofJkt: string | null
  detail?: Record<string, unknown>
  refund?: RefundRequest
}

/** Token lifecycle state pushed by the AS (revocation, offboarding, retired keys); see lifecycle-state.ts. */
export interface LifecycleCheck {
  check(token: string, claims: AccessClaims): { reason: string; description: string; detail: Record<string, unknown> } | null
}

export interface AuthorizerOptions {
  /** this replica's name, e.g. `rs-1/0` (replay records say which node refused) */
  node: string
  /** this resource server's audience; namespaces replay keys (RFC 9449 §11.1: per target URI) */
  audience: string
  /** the public origin (the front's URL) htu is checked against, never the Host header */
  origin: string
  verifier: AccessTokenVerifier
  keys: PublicKeyCache
  replay: ReplayStore
  flaws?: readonly string[]
  iatWindowS?: number
  lifecycle?: LifecycleCheck
}

type Base = Pick<Outcome, 'claims' | 'tokenHash' | 'proofJkt'>
/** who is calling, once authentication passed; claims null = anonymous (flaw no-credential-allowed) */
type Caller = Base & { detail?: Record<string, unknown> }

// RFC 7235 auth-scheme SP token68
const AUTHORIZATION = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +([A-Za-z0-9._~+/-]+=*)$/
const NOBODY: Base = { claims: null, tokenHash: null, proofJkt: null }

const PROOF_FLAWS: readonly [FlawName, ProofCheck][] = [
  ['dpop-htu-unchecked', 'htu'],
  ['dpop-htm-unchecked', 'htm'],
  ['dpop-iat-unchecked', 'iat'],
  ['dpop-proof-signature-unchecked', 'signature'],
  ['dpop-alg-unchecked', 'alg'],
  ['dpop-ath-unchecked', 'ath'],
]

export class RequestAuthorizer {
  readonly #o: AuthorizerOptions & { iatWindowS: number }
  readonly #origin: string
  readonly #flaws: readonly string[]
  readonly #unchecked: ReadonlySet<ProofCheck>

  constructor(options: AuthorizerOptions) {
    this.#o = { iatWindowS: DPOP_IAT_WINDOW_S, ...options }
    this.#origin = new URL(options.origin).origin
    this.#flaws = options.flaws ?? []
    this.#unchecked = new Set(PROOF_FLAWS.filter(([f]) => hasFlaw(this.#flaws, f)).map(([, check]) => check))
  }

  async authorize(c: CallContext): Promise<Outcome> {
    const caller = await this.#authenticate(c)
    return 'decision' in caller ? caller : this.#decide(c, caller)
  }

  /**
   * A request to a path the public listener does not route (an internal endpoint's among them):
   * authenticated like a tool call, so the refusal names who asked, then refused 404 not_found, as
   * an unknown path is anywhere. An unauthenticated caller gets the authentication refusal instead,
   * so the route table is never told to strangers.
   */
  async refuseUnrouted(c: AuthContext): Promise<Outcome> {
    const caller = await this.#authenticate(c)
    if ('decision' in caller) return caller
    return deny(caller, 404, 'policy.not_routed', 'not_found', 'not found')
  }

  /** RFC 6750 / RFC 9449 §7 / RFC 9068 §4: a refusal, or the verified caller. */
  async #authenticate(c: AuthContext): Promise<Outcome | Caller> {
    if (c.authorization.length === 0) {
      if (hasFlaw(this.#flaws, 'no-credential-allowed')) return NOBODY
      return { ...NOBODY, decision: 'deny', status: 401, reason: 'auth.missing', challenge: dpopChallenge(), description: 'authentication required' }
    }
    if (c.authorization.length > 1) return this.#multipleCredentials(c)
    const parsed = AUTHORIZATION.exec(c.authorization[0])
    if (parsed === null) return deny(NOBODY, 400, 'auth.malformed', 'invalid_request', 'malformed Authorization header', dpopChallenge('invalid_request'))
    const scheme = parsed[1].toLowerCase()
    if (scheme !== 'dpop' && scheme !== 'bearer') {
      // RFC 6750 §3.1: an unsupported method gets a challenge without an error code
      return { ...NOBODY, decision: 'deny', status: 401, reason: 'auth.unsupported_scheme', challenge: dpopChallenge(), description: 'use the DPoP scheme', detail: { presented_scheme: parsed[1].slice(0, 32) } }
    }
    const token = parsed[2]
    const tokenHash = b64urlSha256(token)
    const nowS = c.nowMs / 1000
    const checked = await this.#o.verifier.verify(token, tokenHash, nowS)
    const claims = checked.ok ? checked.claims : (checked.claims ?? null)
    const t: Base = { claims, tokenHash, proofJkt: null }
    const bearer = scheme === 'bearer'
    const tokenChallenge = bearer ? bearerDowngradeChallenge() : dpopChallenge('invalid_token')
    const schemeDetail = bearer ? { presented_scheme: 'Bearer' } : {}

    if (!bearer && c.dpop === null) return deny(t, 401, 'dpop.missing', 'invalid_dpop_proof', 'DPoP proof required', dpopChallenge('invalid_dpop_proof'))
    if (!bearer && c.dpop === 'multiple') return deny(t, 401, 'dpop.multiple', 'invalid_dpop_proof', 'exactly one DPoP header is allowed', dpopChallenge('invalid_dpop_proof'))
    if (!checked.ok && checked.reason === JWKS_UNAVAILABLE) {
      return { ...deny(t, 503, checked.reason, 'temporarily_unavailable', checked.description, undefined, { ...checked.detail, node: this.#o.node }), headers: { 'retry-after': '1' } }
    }
    if (!checked.ok) return deny(t, 401, checked.reason, 'invalid_token', checked.description, tokenChallenge, { ...schemeDetail, ...checked.detail })
    const gone = this.#o.lifecycle?.check(token, checked.claims) ?? null
    if (gone !== null) return deny(t, 401, gone.reason, 'invalid_token', gone.description, tokenChallenge, { ...schemeDetail, ...gone.detail })
    if (bearer) {
      if (hasFlaw(this.#flaws, 'bearer-accepted')) return { ...t, detail: schemeDetail }
      return deny(t, 401, 'dpop.bearer_downgrade', 'invalid_token', 'a DPoP-bound token must be presented with the DPoP scheme', tokenChallenge, { presented_scheme: 'Bearer', cnf_type: 'jkt' })
    }

    const origin = this.#expectedOrigin(c)
    const htu = normalizeHtu(origin + c.pathname) ?? origin + c.pathname
    const htuPathOnly = hasFlaw(this.#flaws, 'dpop-htu-path-only')
    const proof = checkDpopProof(c.dpop as string, { htm: c.method, htu, ath: tokenHash, nowS, iatWindowS: this.#o.iatWindowS, unchecked: this.#unchecked, htuPathOnly }, this.#o.keys)
    if (!proof.ok) return deny(t, 401, `dpop.${proof.check}`, 'invalid_dpop_proof', proof.description, dpopChallenge('invalid_dpop_proof'), proof.detail)
    const p: Base = { ...t, proofJkt: proof.jkt }
    if (checked.claims.jkt !== null && proof.jkt !== checked.claims.jkt && !hasFlaw(this.#flaws, 'dpop-binding-unchecked')) {
      return deny(p, 401, 'dpop.key_mismatch', 'invalid_token', 'the proof key is not the key the token is bound to', dpopChallenge('invalid_token'), { expected_jkt: checked.claims.jkt, proof_jkt: proof.jkt })
    }
    if (!hasFlaw(this.#flaws, 'replay-cache-off')) {
      // per target URI (RFC 9449 §11.1), by the URI's hash: a request to a path no tool has may carry
      // a URI of kilobytes, and the replay store takes keys of 2 KiB at most
      const key = `${this.#o.audience} ${b64urlSha256(htu)} ${proof.jti}`
      let replayed: boolean
      try {
        replayed = await this.#o.replay.seen(key, this.#replayTtlMs())
      } catch (e) {
        // flaw replay-store-fail-open: a store that cannot answer is taken to mean "not seen"
        if (hasFlaw(this.#flaws, 'replay-store-fail-open')) return p
        return {
          ...deny(p, 503, 'system.replay_store_unavailable', 'temporarily_unavailable', 'cannot check the proof for replay; try again', undefined, { node: this.#o.node, cause: String(e).slice(0, 200) }),
          headers: { 'retry-after': '1' },
        }
      }
      if (replayed) {
        const first = this.#o.replay.firstSeen?.(key) ?? null
        return deny(p, 401, 'dpop.jti_replay', 'invalid_dpop_proof', 'DPoP proof was already used', dpopChallenge('invalid_dpop_proof'), {
          proof_jti_hash: b64urlSha256(proof.jti),
          first_seen: first === null ? null : new Date(first).toISOString(),
          node: this.#o.node,
        })
      }
    }
    return p
  }

  /**
   * The origin the proof's htu must name: this server's configured public origin. Flaw
   * dpop-htu-from-host-header builds it from X-Forwarded-Host or Host instead, as a server behind a
   * proxy does when it trusts those headers: a client then picks the origin its proof is checked
   * against, and a proof made for another server passes.
   */
  #expectedOrigin(c: AuthContext): string {
    if (!hasFlaw(this.#flaws, 'dpop-htu-from-host-header')) return this.#origin
    const claimed = c.forwardedHost ?? c.host
    return claimed ? `${new URL(this.#origin).protocol}//${claimed}` : this.#origin
  }

  /**
   * How long the replay store keeps a jti. A proof passes the iat check while its iat is within
   * iatWindowS of the clock, either way: one dated a full window ahead, first seen now, still passes
   * until twice the window from now, so the jti is kept that long (RFC 9449 §11.1). The flaws are the ways such a TTL goes wrong: a
   * fixed short one (sized for a client's retries), and the window in seconds handed to a store
   * that counts milliseconds.
   */
  #replayTtlMs(): number {
    if (hasFlaw(this.#flaws, 'replay-cache-short-ttl')) return SHORT_REPLAY_TTL_MS
    if (hasFlaw(this.#flaws, 'replay-cache-ttl-seconds')) return 2 * this.#o.iatWindowS
    return 2 * this.#o.iatWindowS * 1000
  }

  /**
   * Two Authorization headers. RFC 9449 §7.2 Fig. 19: Bearer and DPoP at once is invalid_request.
   * The refusal is attributed to the token when one of them verifies.
   */
  async #multipleCredentials(c: AuthContext): Promise<Outcome> {
    const parsed = c.authorization.map((v) => AUTHORIZATION.exec(v)).filter((m) => m !== null)
    const schemes = new Set(parsed.map((m) => m[1].toLowerCase()))
    const dual = schemes.has('dpop') && schemes.has('bearer')
    let base = NOBODY
    const candidate = parsed.find((m) => m[1].toLowerCase() === 'dpop') ?? parsed[0]
    if (candidate !== undefined) {
      const tokenHash = b64urlSha256(candidate[2])
      const checked = await this.#o.verifier.verify(candidate[2], tokenHash, c.nowMs / 1000)
      base = { claims: checked.ok ? checked.claims : null, tokenHash, proofJkt: null }
    }
    const detail = { presented_schemes: [...schemes].map((s) => s.slice(0, 32)) }
    return dual
      ? deny(base, 400, 'dpop.dual_scheme', 'invalid_request', 'present one credential: not Bearer and DPoP at once', dpopChallenge('invalid_request'), detail)
      : deny(base, 400, 'auth.multiple_credentials', 'invalid_request', 'more than one Authorization header', dpopChallenge('invalid_request'), detail)
  }

  /** Policy, scope, tenant and limits for an authenticated caller. */
  #decide(c: CallContext, caller: Caller): Outcome {
    const { tool, tenant } = c.route
    const claims = caller.claims
    if (claims !== null) {
      // Tools act for a principal: a token without delegation (no act) is an agent acting as itself.
      if (claims.actors.length === 0 && !hasFlaw(this.#flaws, 'delegation-not-required')) {
        return deny(caller, 403, 'policy.delegation_required', 'access_denied', 'tools act for a principal: use a delegated token (token exchange), not the client\'s own', undefined, {
          client_id: claims.client_id,
          principal_type: claims.principalType,
          missing: 'act',
        })
      }
      if (!claims.scope.includes(tool.scope) && !hasFlaw(this.#flaws, 'scope-unchecked')) {
        return deny(caller, 403, 'scope.insufficient', 'insufficient_scope', `${tool.name} needs scope ${tool.scope}`, dpopChallenge('insufficient_scope', tool.scope))
      }
      // 404, not 403: another tenant's resources are not even acknowledged to exist. Flaw
      // cross-tenant-writes-unchecked applies the check to reads only (a check added where data is
      // shown and forgotten on the write path).
      const tenantChecked = !hasFlaw(this.#flaws, 'tenant-unchecked') && !(tool.writes && hasFlaw(this.#flaws, 'cross-tenant-writes-unchecked'))
      if (tenant !== claims.tenant && tenantChecked) {
        return deny(caller, 404, 'tenant.mismatch', 'not_found', 'not found', undefined, { token_tenant: claims.tenant, requested_tenant: tenant })
      }
    }
    const allow: Outcome = { ...caller, decision: 'allow', status: 200, reason: 'ok' }
    if (tool.limit === undefined) return allow
    const refund = parseRefund(c.body, { nonPositive: hasFlaw(this.#flaws, 'refund-negative-accepted') })
    if (refund === null) return deny(caller, 400, 'policy.invalid_body', 'invalid_request', 'body must be {"ticket_id": string, "amount": number > 0}')
    if (overLimit(refund.amount, tool.limit.max, this.#flaws)) {
      return deny(caller, 403, 'limit.refund_ceiling', 'limit_exceeded', `${tool.limit.field} is over ${tool.limit.max}`, undefined, { field: tool.limit.field, max: tool.limit.max, requested: refund.amount })
    }
    return { ...allow, refund }
  }
}

function deny(
  base: Base & { detail?: Record<string, unknown> },
  status: number,
  reason: string,
  error: string,
  description: string,
  challenge?: string | string[],
  detail?: Record<string, unknown>,
): Outcome {
  const d = base.detail !== undefined || detail !== undefined ? { ...base.detail, ...detail } : undefined
  return { claims: base.claims, tokenHash: base.tokenHash, proofJkt: base.proofJkt, decision: 'deny', status, reason, error, description, challenge, detail: d }
}

/**
 * The ceiling check, inclusive (a value equal to the limit is served). Its flaw switches are the
 * ways such a check goes wrong in practice: comparing a truncated integer, comparing in 32-bit
 * integers (1e300 | 0 is 0), or refusing the limit itself.
 */
function overLimit(amount: number, max: number, flaws: readonly string[]): boolean {
  if (hasFlaw(flaws, 'refund-ceiling-truncated')) return Math.trunc(amount) > max
  if (hasFlaw(flaws, 'refund-ceiling-int32')) return (amount | 0) > max
  if (hasFlaw(flaws, 'refund-ceiling-exclusive')) return amount >= max
  return amount > max
}
