/**
 * Every refusal this API answers, as one shape, and the translation of express-oauth2-jwt-bearer's
 * errors into it. What the translation fixes (README.md, "What the libraries do not do"):
 *
 * - the library answers a bad DPoP proof with 400; RFC 9449 §7.1 has a resource server answer
 *   401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"`;
 * - with `dpop.required` the library refuses a Bearer presentation, or a DPoP token without a
 *   proof, before looking at the token, as a 400 with no error code; RFC 9449 §7.2 (Fig. 18) wants a
 *   DPoP-bound token sent as Bearer refused with 401 `invalid_token` on the Bearer challenge, and a
 *   missing proof is `invalid_dpop_proof`;
 * - its challenges name `realm="api"` and every asymmetric algorithm; this API speaks DPoP only.
 *
 * Each refusal carries this deployment's reason code (`why`) for the audit record.
 */
import { InsufficientScopeError, InvalidRequestError, InvalidTokenError, UnauthorizedError } from 'express-oauth2-jwt-bearer'

export interface Refusal {
  status: number
  /** the OAuth error code sent, null for none */
  error: string | null
  why: string
  description?: string
  /** WWW-Authenticate values; none for refusals that are not about credentials */
  challenge?: string[]
  facts?: Record<string, unknown>
}

/** A refusal raised by this API's own checks. */
export class RsRefusal extends Error {
  readonly refusal: Refusal
  constructor(refusal: Refusal) {
    super(refusal.description ?? refusal.why)
    this.refusal = refusal
  }
}

const quote = (s: string): string => s.replace(/["\\]/g, "'").slice(0, 200)

export function dpopChallenge(error?: string, description?: string, scope?: string): string {
  const parts = [error && `error="${error}"`, description && `error_description="${quote(description)}"`, scope && `scope="${scope}"`, 'algs="ES256"']
  return `DPoP ${parts.filter(Boolean).join(', ')}`
}

/** What the request presented, read before anything is verified. */
export interface Presented {
  scheme: string | null
  token: string | null
  proof: string | null
}

function proofRefusal(message: string): Refusal {
  const m = message.toLowerCase()
  const why = m.includes('"iat"') || m.includes('iat')
    ? 'dpop.iat_window'
    : m.includes('htm')
      ? 'dpop.htm_mismatch'
      : m.includes('htu')
        ? 'dpop.htu_mismatch'
        : m.includes('ath')
          ? 'dpop.ath_mismatch'
          : m.includes('multiple')
            ? 'dpop.multiple_proofs'
            : 'dpop.invalid_proof'
  return { status: 401, error: 'invalid_dpop_proof', why, description: message, challenge: [dpopChallenge('invalid_dpop_proof', message)], facts: { check: message.slice(0, 200) } }
}

function tokenReason(message: string): string {
  if (message.includes('confirmation mismatch')) return 'dpop.key_mismatch'
  if (message.includes('DPoP-bound token requires')) return 'dpop.bearer_scheme'
  if (message.includes('jkt') || message.includes('"cnf"')) return 'dpop.unbound_token'
  if (message.includes("'aud'")) return 'token.wrong_audience'
  if (message.includes("'iss'")) return 'token.wrong_issuer'
  if (message.includes("'typ'")) return 'token.wrong_type'
  if (message.includes("'alg'") || message.includes('Unsupported algorithm') || message.includes('"alg"')) return 'token.wrong_algorithm'
  if (message.includes('"exp"')) return 'token.expired'
  if (message.includes('signature verification failed')) return 'token.bad_signature'
  if (message.includes('no applicable key') || message.includes('matching key')) return 'token.unknown_key'
  if (/'(sub|client_id|jti|iat)'/.test(message)) return 'token.missing_claim'
  return 'token.invalid'
}

function bearerRefusal(): Refusal {
  return {
    status: 401,
    error: 'invalid_token',
    why: 'dpop.bearer_scheme',
    description: 'this API accepts DPoP-bound tokens presented with the DPoP scheme only',
    challenge: ['Bearer error="invalid_token", error_description="use the DPoP scheme"', dpopChallenge()],
    facts: { presented_scheme: 'Bearer', cnf_type: 'jkt' },
  }
}

/** express-oauth2-jwt-bearer's error, or a body-parser error, as this API's refusal. */
export function refusalOf(err: unknown, presented: Presented): Refusal {
  if (err instanceof RsRefusal) {
    const r = err.refusal
    // a refusal about the credentials carries a DPoP challenge (RFC 6750 §3, RFC 9449 §7.1)
    const aboutCredentials = r.status === 401 || (r.status === 400 && (r.why.startsWith('dpop.') || r.why.startsWith('auth.')))
    return r.challenge === undefined && aboutCredentials ? { ...r, challenge: [dpopChallenge(r.error ?? undefined, r.description)] } : r
  }
  const e = err as { type?: string; status?: number; code?: string; message?: string }
  if (typeof e?.type === 'string' && (e.type.startsWith('entity.') || e.type.endsWith('.unsupported') || e.type === 'encoding.unsupported')) {
    return { status: 400, error: 'invalid_request', why: 'policy.invalid_body', description: 'the request body is not valid JSON of an acceptable size' }
  }
  if (err instanceof InsufficientScopeError) {
    const scope = /scope="([^"]*)"/.exec(err.headers['WWW-Authenticate'])?.[1]
    return { status: 403, error: 'insufficient_scope', why: 'scope.insufficient', description: err.message, challenge: [dpopChallenge('insufficient_scope', err.message, scope)] }
  }
  if (err instanceof InvalidTokenError) {
    const why = tokenReason(err.message)
    if (why === 'dpop.bearer_scheme') return bearerRefusal()
    return { status: 401, error: 'invalid_token', why, description: err.message, challenge: [dpopChallenge('invalid_token', err.message)], facts: { check: err.message.slice(0, 200) } }
  }
  if (err instanceof UnauthorizedError && e.code === 'invalid_dpop_proof') return proofRefusal(err.message)
  if (err instanceof InvalidRequestError || (err instanceof UnauthorizedError && e.code === 'invalid_request')) {
    if (presented.scheme === 'bearer') return bearerRefusal()
    if (presented.scheme === 'dpop' && presented.proof === null) {
      return { status: 401, error: 'invalid_dpop_proof', why: 'dpop.missing', description: 'a DPoP proof is required', challenge: [dpopChallenge('invalid_dpop_proof', 'a DPoP proof is required')] }
    }
    if (presented.scheme !== null && presented.scheme !== 'dpop' && presented.token !== null) {
      return { status: 401, error: null, why: 'auth.unsupported_scheme', challenge: [dpopChallenge()], facts: { presented_scheme: presented.scheme.slice(0, 32) } }
    }
    return { status: 400, error: 'invalid_request', why: 'auth.malformed', description: err.message || 'malformed credentials', challenge: [dpopChallenge('invalid_request')] }
  }
  if (err instanceof UnauthorizedError) {
    // no credentials at all: RFC 6750 §3.1, a challenge without error information
    return { status: 401, error: null, why: 'auth.missing', challenge: [dpopChallenge()] }
  }
  return { status: 500, error: 'server_error', why: 'system.error', facts: { cause: String((err as Error)?.message ?? err).slice(0, 200) } }
}
