/**
 * The resource server's decision for one tool call, checks in a fixed order (RFC 6750 §3.1,
 * RFC 9449 §7 and §4.3, RFC 9068 §4, then scope, tenant and limits). The result carries what the
 * response and the evidence record need. Decisions use only top-level claims and the current actor
 * (RFC 8693 §4.1): nested actors are recorded, never trusted.
 */
import { b64urlSha256 } from '../../../harness/evidence/chain.ts'
import { checkDpopProof, normalizeHtu } from '../shared/dpop-proof.ts'
import type { PublicKeyCache } from '../shared/jwk-keys.ts'
import type { ReplayStore } from '../shared/replay-store.ts'
import type { AccessClaims, AccessTokenVerifier } from './access-token-verifier.ts'
import { bearerDowngradeChallenge, dpopChallenge } from './challenge.ts'
import { parseRefund, type RefundRequest } from './tool-handlers.ts'
import type { ToolRoute } from './tools.ts'

export interface CallContext {
  method: string
  pathname: string
  route: ToolRoute
  /** the Authorization / DPoP header: its one value, null, or 'multiple' */
  authorization: string | null | 'multiple'
  dpop: string | null | 'multiple'
  body: Buffer
  nowMs: number
}

export interface Outcome {
  decision: 'allow' | 'deny'
  status: number
  reason: string
  error?: string
  description?: string
  challenge?: string | string[]
  claims: AccessClaims | null
  tokenHash: string | null
  proofJkt: string | null
  detail?: Record<string, unknown>
  refund?: RefundRequest
}

export interface AuthorizerOptions {
  node: string
  origin: string
  verifier: AccessTokenVerifier
  keys: PublicKeyCache
  replay: ReplayStore
  /** false only under the `replay-cache-off` flaw */
  replayCheck: boolean
  iatWindowS?: number
}

// RFC 7235 auth-scheme SP token68
const AUTHORIZATION = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +([A-Za-z0-9._~+/-]+=*)$/

export class RequestAuthorizer {
  readonly #o: Required<AuthorizerOptions>
  readonly #origin: string

  constructor(options: AuthorizerOptions) {
    this.#o = { iatWindowS: 60, ...options }
    this.#origin = new URL(options.origin).origin
  }

  async authorize(c: CallContext): Promise<Outcome> {
    const none = { claims: null, tokenHash: null, proofJkt: null }
    if (c.authorization === null) {
      return { ...none, decision: 'deny', status: 401, reason: 'auth.missing', challenge: dpopChallenge(), description: 'authentication required' }
    }
    if (c.authorization === 'multiple') {
      return deny(none, 400, 'auth.multiple_credentials', 'invalid_request', 'more than one Authorization header', dpopChallenge('invalid_request'))
    }
    const parsed = AUTHORIZATION.exec(c.authorization)
    if (parsed === null) return deny(none, 400, 'auth.malformed', 'invalid_request', 'malformed Authorization header', dpopChallenge('invalid_request'))
    const scheme = parsed[1].toLowerCase()
    if (scheme !== 'dpop' && scheme !== 'bearer') {
      // RFC 6750 §3.1: an unsupported method gets a challenge without an error code
      return { ...none, decision: 'deny', status: 401, reason: 'auth.unsupported_scheme', challenge: dpopChallenge(), description: 'use the DPoP scheme', detail: { presented_scheme: parsed[1].slice(0, 32) } }
    }
    const token = parsed[2]
    const tokenHash = b64urlSha256(token)
    const nowS = c.nowMs / 1000
    const checked = await this.#o.verifier.verify(token, tokenHash, nowS)
    const claims = checked.ok ? checked.claims : null
    const t = { claims, tokenHash, proofJkt: null }

    if (scheme === 'bearer') {
      if (!checked.ok) return deny(t, 401, checked.reason, 'invalid_token', checked.description, bearerDowngradeChallenge(), { presented_scheme: 'Bearer', ...checked.detail })
      return deny(t, 401, 'dpop.bearer_downgrade', 'invalid_token', 'a DPoP-bound token must be presented with the DPoP scheme', bearerDowngradeChallenge(), { presented_scheme: 'Bearer', cnf_type: 'jkt' })
    }
    if (c.dpop === null) return deny(t, 401, 'dpop.missing', 'invalid_dpop_proof', 'DPoP proof required', dpopChallenge('invalid_dpop_proof'))
    if (c.dpop === 'multiple') return deny(t, 401, 'dpop.multiple', 'invalid_dpop_proof', 'exactly one DPoP header is allowed', dpopChallenge('invalid_dpop_proof'))
    if (!checked.ok || claims === null) return deny(t, 401, checked.ok ? 'token.claims' : checked.reason, 'invalid_token', checked.ok ? 'invalid token' : checked.description, dpopChallenge('invalid_token'), checked.ok ? {} : checked.detail)

    const htu = normalizeHtu(this.#origin + c.pathname) ?? this.#origin + c.pathname
    const proof = checkDpopProof(c.dpop, { htm: c.method, htu, ath: tokenHash, nowS, iatWindowS: this.#o.iatWindowS }, this.#o.keys)
    if (!proof.ok) return deny(t, 401, `dpop.${proof.check}`, 'invalid_dpop_proof', proof.description, dpopChallenge('invalid_dpop_proof'), proof.detail)
    const p = { ...t, proofJkt: proof.jkt }
    if (proof.jkt !== claims.jkt) {
      return deny(p, 401, 'dpop.key_mismatch', 'invalid_token', 'the proof key is not the key the token is bound to', dpopChallenge('invalid_token'), { expected_jkt: claims.jkt, proof_jkt: proof.jkt })
    }
    if (this.#o.replayCheck) {
      const key = `${htu} ${proof.jti}`
      let replayed: boolean
      try {
        replayed = await this.#o.replay.seen(key, 2 * this.#o.iatWindowS * 1000)
      } catch (e) {
        return deny(p, 503, 'system.replay_store_unavailable', 'temporarily_unavailable', `cannot check proof replay: ${String(e)}`)
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
    const { tool, tenant } = c.route
    if (!claims.scope.includes(tool.scope)) {
      return deny(p, 403, 'scope.insufficient', 'insufficient_scope', `${tool.name} needs scope ${tool.scope}`, dpopChallenge('insufficient_scope', tool.scope))
    }
    // 404, not 403: another tenant's resources are not even acknowledged to exist
    if (tenant !== claims.tenant) return deny(p, 404, 'tenant.mismatch', 'not_found', 'not found', undefined, { token_tenant: claims.tenant })
    if (tool.limit !== undefined) {
      const refund = parseRefund(c.body)
      if (refund === null) return deny(p, 400, 'policy.invalid_body', 'invalid_request', 'body must be {"ticket_id": string, "amount": number > 0}')
      if (refund.amount > tool.limit.max) {
        return deny(p, 403, 'limit.refund_ceiling', 'limit_exceeded', `${tool.limit.field} is over ${tool.limit.max}`, undefined, { field: tool.limit.field, max: tool.limit.max, requested: refund.amount })
      }
      return { ...p, decision: 'allow', status: 200, reason: 'ok', refund }
    }
    return { ...p, decision: 'allow', status: 200, reason: 'ok' }
  }
}

function deny(
  base: Pick<Outcome, 'claims' | 'tokenHash' | 'proofJkt'>,
  status: number,
  reason: string,
  error: string,
  description: string,
  challenge?: string | string[],
  detail?: Record<string, unknown>,
): Outcome {
  return { ...base, decision: 'deny', status, reason, error, description, challenge, detail }
}
