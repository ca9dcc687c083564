/**
 * The example resource server: express + express-oauth2-jwt-bearer with DPoP required, and what a
 * careful team adds around the library (each marked "careful:"): the public origin pinned for `htu`,
 * a tight proof-age window, a proof replay cache, one credential per request, delegation, per-tool
 * scope and tenant checks, RFC 6750 / RFC 9449 error responses, and an audit record for every
 * allowed and denied call, written before the response leaves.
 */
import express, { type NextFunction, type Request, type Response } from 'express'
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer'
import type { AuditLog } from '../lib/audit-log.ts'
import { sha256b64url, traceIdOf } from '../lib/correlation.ts'
import type { RsConfig } from './config.ts'
import { attributor, proofClaims, proofKeyThumbprint, type TokenClaims } from './attribution.ts'
import { recordOf, SERVICE, type Call } from './audit.ts'
import { refusalOf, RsRefusal, type Presented, type Refusal } from './refusals.ts'
import { ReplayCache } from './replay-cache.ts'
import { KB_TOOLS, parseRefund, readArticle, readCustomer, readTicket, SUPPORT_TOOLS, type Tool } from './tools.ts'

export interface RsSetup extends RsConfig {
  publicOrigin: string
  audience: string
}

export interface RefundEntry {
  refund_id: string
  tenant: string
  ticket_id: string
  amount: number
  trace: string | null
  client: string | null
}

const callOf = (res: Response): Call => res.locals.call as Call

function presentedOf(req: Request): Presented {
  const authz = req.headers.authorization
  const m = typeof authz === 'string' ? /^(\S+) +(\S+)$/.exec(authz) : null
  const proof = typeof req.headers.dpop === 'string' ? req.headers.dpop : null
  return { scheme: m ? m[1].toLowerCase() : null, token: m ? m[2] : null, proof }
}

export function buildApp(cfg: RsSetup, log: AuditLog): { app: express.Express; refunds: RefundEntry[] } {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', false)
  app.set('etag', false)
  const publicUrl = new URL(cfg.publicOrigin)
  const replay = new ReplayCache(cfg.proofMaxAgeS + cfg.proofMaxFutureS)
  const attribute = attributor(cfg.issuer, cfg.jwksUrl)
  const refunds: RefundEntry[] = []
  const flawed = (f: Parameters<typeof cfg.flaws.has>[0]) => cfg.flaws.has(f)
  const recordOpts = { audience: cfg.audience, tenantClaim: cfg.tenantClaim, service: SERVICE }

  /** Writes the decision to the audit log, then answers. */
  function answer(req: Request, res: Response, status: number, body: unknown, decision: { error: string | null; why: string }, claims: TokenClaims | null, headers: Record<string, string | string[]> = {}): void {
    log.write(recordOf(req, callOf(res), { status, ...decision }, claims, recordOpts))
    res.status(status).set({ 'cache-control': 'no-store', ...headers }).json(body)
  }

  const refuse = (r: Refusal): RsRefusal => new RsRefusal(r)

  // RFC 9728: what this resource server is and whom it trusts, for clients (and gatecrash profiles) that discover it
  app.get('/.well-known/oauth-protected-resource', (_req, res) => {
    res.set('cache-control', 'no-store').json({
      resource: cfg.audience,
      authorization_servers: [cfg.issuer],
      scopes_supported: [...new Set((cfg.tools === 'kb' ? KB_TOOLS : SUPPORT_TOOLS).map((t) => t.scope))],
      bearer_methods_supported: ['header'],
      dpop_bound_access_tokens_required: true,
    })
  })

  app.get('/healthz', (_req, res) => {
    res.json({ ready: true, audience: cfg.audience, replay_cache: flawed('no-jti-cache') ? null : replay.size })
  })

  app.use((req, res, next) => {
    res.locals.call = { presented: presentedOf(req), tool: null, tenant: null, scopeNeeded: null, claims: null, facts: {} } satisfies Call
    // careful: the library builds the htu it checks from the Host header (and the protocol): pin both
    // to the public origin, so a proof is judged against the URL the client was given
    req.headers.host = publicUrl.host
    Object.defineProperty(req, 'protocol', { value: publicUrl.protocol.slice(0, -1) })
    // careful: Node keeps only the first Authorization header; refuse a request that sent several
    const all = req.headersDistinct.authorization ?? []
    if (all.length > 1) {
      const schemes = [...new Set(all.map((v) => v.split(' ')[0].toLowerCase()))]
      const dual = schemes.includes('dpop') && schemes.includes('bearer')
      callOf(res).presented = { ...callOf(res).presented, token: all.map((v) => /^(\S+) +(\S+)$/.exec(v)).find((m) => m?.[1].toLowerCase() === 'dpop')?.[2] ?? null }
      return next(refuse({ status: 400, error: 'invalid_request', why: dual ? 'dpop.dual_scheme' : 'auth.multiple_credentials', description: 'present exactly one credential', facts: { presented_schemes: schemes.map((s) => s.slice(0, 32)) } }))
    }
    next()
  })

  const authenticate = auth({
    issuer: cfg.issuer,
    jwksUri: cfg.jwksUrl,
    audience: cfg.audience,
    tokenSigningAlg: 'ES256',
    strict: true, // RFC 9068: typ at+jwt, and sub, client_id, iat, jti present
    clockTolerance: 5,
    // careful: the library accepts proofs up to 300 s old by default; this API accepts 60 s either way
    dpop: { enabled: true, required: true, iatOffset: cfg.proofMaxAgeS, iatLeeway: cfg.proofMaxFutureS },
    ...(flawed('audience-unchecked') ? { validators: { aud: false } } : {}),
  })

  const trusted = (req: Request, res: Response, next: NextFunction) => {
    callOf(res).claims = (req.auth?.payload as TokenClaims | undefined) ?? null
    next()
  }

  // careful: RFC 9449 §11.1, the library keeps no record of the proofs it accepted
  const noReplay = (req: Request, res: Response, next: NextFunction) => {
    const proof = proofClaims(callOf(res).presented.proof)
    const key = `${cfg.audience} ${publicUrl.origin}${req.path} ${String(proof?.jti)}`
    const first = replay.check(key)
    if (first === null) return next()
    next(refuse({ status: 401, error: 'invalid_dpop_proof', why: 'dpop.replayed', description: 'this DPoP proof was already used', facts: { proof_jti_hash: sha256b64url(String(proof?.jti)), first_seen: new Date(first).toISOString() } }))
  }

  // policy: tools act for a person, through delegation; an agent's own token (no act) is refused
  const delegated = (_req: Request, res: Response, next: NextFunction) => {
    const claims = callOf(res).claims
    if (claims?.act !== undefined) return next()
    next(refuse({ status: 403, error: 'access_denied', why: 'policy.delegation_required', description: 'tools act for a user: use a delegated token from token exchange', facts: { missing: 'act' } }))
  }

  // careful: the tenant in the path must be the token's; another tenant's objects are not even acknowledged
  const sameTenant = (req: Request, res: Response, next: NextFunction) => {
    const tokenTenant = callOf(res).claims?.[cfg.tenantClaim]
    if (tokenTenant === req.params.tenant) return next()
    next(refuse({ status: 404, error: 'not_found', why: 'tenant.mismatch', description: 'not found', facts: { token_tenant: tokenTenant ?? null, requested_tenant: req.params.tenant } }))
  }

  const handlers: Record<string, (req: Request, res: Response) => void> = {
    'ticket.read': (req, res) => answer(req, res, 200, readTicket(String(req.params.tenant), String(req.params.id)), { error: null, why: 'ok' }, callOf(res).claims),
    'customer.read': (req, res) => answer(req, res, 200, readCustomer(String(req.params.tenant), String(req.params.id)), { error: null, why: 'ok' }, callOf(res).claims),
    'kb.read': (req, res) => answer(req, res, 200, readArticle(String(req.params.tenant), String(req.params.id)), { error: null, why: 'ok' }, callOf(res).claims),
    'refund.issue': (req, res) => {
      const refund = parseRefund(req.body)
      if (refund === null) throw refuse({ status: 400, error: 'invalid_request', why: 'policy.invalid_body', description: 'body must be {"ticket_id": string, "amount": number > 0}' })
      if (refund.amount > cfg.refundMax) {
        throw refuse({ status: 403, error: 'limit_exceeded', why: 'limit.refund_ceiling', description: `amount is over ${cfg.refundMax}`, facts: { field: 'amount', max: cfg.refundMax, requested: refund.amount } })
      }
      const claims = callOf(res).claims
      const entry: RefundEntry = { refund_id: `rf_${refunds.length + 1}`, tenant: String(req.params.tenant), ...refund, trace: traceIdOf(req.headers.traceparent), client: claims?.client_id ?? null }
      refunds.push(entry)
      answer(req, res, 200, entry, { error: null, why: 'ok' }, claims)
    },
  }

  const tools: Tool[] = cfg.tools === 'kb' ? KB_TOOLS : SUPPORT_TOOLS
  for (const tool of tools) {
    const enter = (req: Request, res: Response, next: NextFunction) => {
      const call = callOf(res)
      call.tool = tool.name
      call.tenant = typeof req.params.tenant === 'string' ? req.params.tenant : null
      call.scopeNeeded = tool.scope
      next()
    }
    const scopeGuard = tool.name === 'refund.issue' && flawed('refund-scope-missing') ? [] : [requiredScopes(tool.scope)]
    const chain = [
      enter,
      authenticate,
      trusted,
      // the body is parsed only for an authenticated caller
      ...(tool.method === 'POST' ? [express.json({ limit: '8kb' })] : []),
      ...(flawed('no-jti-cache') ? [] : [noReplay]),
      delegated,
      ...scopeGuard,
      ...(flawed('tenant-unchecked') ? [] : [sameTenant]),
      handlers[tool.name],
    ]
    if (tool.method === 'GET') app.get(tool.path, ...chain)
    else app.post(tool.path, ...chain)
  }

  app.use((req, res) => {
    answer(req, res, 404, { error: 'not_found' }, { error: 'not_found', why: 'policy.no_such_tool' }, null)
  })

  app.use(async (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const call = callOf(res) ?? { presented: presentedOf(req), tool: null, tenant: null, scopeNeeded: null, claims: null, facts: {} }
    res.locals.call = call
    const r = refusalOf(err, call.presented)
    const claims = call.claims ?? (call.presented.token !== null ? await attribute(call.presented.token) : null)
    Object.assign(call.facts, r.facts ?? {})
    if (r.why.startsWith('dpop.')) {
      const proof = proofClaims(call.presented.proof)
      if (proof !== null) {
        if (r.why === 'dpop.htu_mismatch') call.facts.claimed_htu = String(proof.htu).slice(0, 512)
        if (r.why === 'dpop.htm_mismatch') call.facts.claimed_htm = String(proof.htm).slice(0, 16)
        if (r.why === 'dpop.ath_mismatch') call.facts.claimed_ath = String(proof.ath).slice(0, 64)
        if (r.why === 'dpop.iat_window' && typeof proof.iat === 'number') {
          call.facts.iat_skew_s = proof.iat - Math.floor(Date.now() / 1000)
          call.facts.server_time = Math.floor(Date.now() / 1000)
        }
      }
      if (r.why === 'dpop.key_mismatch') {
        call.facts.expected_jkt = claims?.cnf?.jkt ?? null
        call.facts.proof_jkt = await proofKeyThumbprint(call.presented.proof)
      }
    }
    if (r.why === 'token.wrong_audience' && claims !== null) call.facts.aud = claims.aud
    if (r.why === 'token.expired' && claims !== null) Object.assign(call.facts, { exp: claims.exp, server_time: Math.floor(Date.now() / 1000) })
    const body = r.error === null ? {} : { error: r.error, ...(r.description !== undefined && r.status !== 404 ? { error_description: r.description } : {}) }
    answer(req, res, r.status, body, { error: r.error, why: r.why }, claims, r.challenge !== undefined ? { 'www-authenticate': r.challenge } : {})
  })

  return { app, refunds }
}
