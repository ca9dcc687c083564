/**
 * POST /revoke, RFC 7009. The client authenticates as at the token endpoint (private_key_jwt with
 * the same audience rule, client-auth.ts; no DPoP proof needed) and names an access token issued
 * to it. The revoked jti reaches every resource-server replica before the answer (so the token stops
 * working at once), and the AS refuses it as a subject token from then on. Invalid, expired or
 * unknown tokens get 200 too (§2.2): the client's goal, a token that no longer works, is met.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { jwtVerify, type JWTPayload } from 'jose'
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { requestIdOf, singleHeader, traceIdOf } from '../shared/http-io.ts'
import { Refusal } from '../shared/oauth-error.ts'
import { flawed, type AsContext } from './as-context.ts'
import { newAudit } from './as-evidence.ts'
import { asRefusal, evidenceUnavailable, propagationIncomplete, record, refuse } from './as-outcome.ts'
import { authenticateClient } from './client-auth.ts'
import { flattenAct, type Act } from './exchange-subject.ts'
import { readForm } from './token-endpoint.ts'

async function activeToken(ctx: AsContext, token: string): Promise<JWTPayload | null> {
  try {
    const { payload } = await jwtVerify(token, ctx.keys.verifyKey, { issuer: ctx.issuer, typ: 'at+jwt', algorithms: ['ES256'], requiredClaims: ['exp', 'sub', 'client_id', 'jti'] })
    return payload
  } catch {
    return null
  }
}

export async function handleRevoke(ctx: AsContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const audit = newAudit('POST', '/revoke', 'token.revoke', traceIdOf(req), requestIdOf(req))
  try {
    const params = await readForm(req)
    const client = await authenticateClient(ctx, params, singleHeader(req, 'authorization'))
    audit.clientId = client.client_id
    audit.tenant = client.tenant
    audit.principal = { sub: client.client_id, type: 'agent' }
    const token = params.get('token')
    if (token === null || token === '') throw new Refusal(400, 'invalid_request', 'policy.invalid_request', 'token is required')
    const hint = params.get('token_type_hint')
    if (hint !== null) audit.detail.token_type_hint = hint.slice(0, 64)
    // flaw `revocation-trusts-hint`: looks only where the hint points; this AS issues no refresh
    // tokens, so a token hinted as one is never found and the access token lives on
    const payload = hint === 'refresh_token' && flawed(ctx, 'revocation-trusts-hint') ? null : await activeToken(ctx, token)
    audit.issued = { jti: typeof payload?.jti === 'string' ? payload.jti : null, hash: b64urlSha256(token) }
    if (payload === null) {
      audit.detail.token_state = 'invalid'
      // flaw `revocation-invalid-token-error`: an invalid token is an error, telling the caller which strings are no tokens
      if (flawed(ctx, 'revocation-invalid-token-error')) throw new Refusal(400, 'invalid_request', 'policy.token_unknown', 'no such token')
      return finish(ctx, res, audit)
    }
    const jti = payload.jti as string
    // Refused before the record takes the token's principal and chain: the request is the
    // authenticated client's own act, not the token chain's (whose holder detail names).
    // flaw `revocation-any-client`: any authenticated client may revoke any token
    if (payload.client_id !== client.client_id && !flawed(ctx, 'revocation-any-client')) {
      throw new Refusal(400, 'unauthorized_client', 'client.not_token_owner', 'the token was not issued to this client (RFC 7009 §2.1)', { token_client_id: payload.client_id })
    }
    audit.principal = { sub: payload.sub!, type: payload.principal_type === 'user' ? 'user' : 'agent' }
    audit.actors = flattenAct(payload.act as Act | undefined)
    audit.held = typeof payload.scope === 'string' ? payload.scope.split(' ').filter((s) => s !== '') : []
    const before = ctx.lifecycle.revokedAt(jti)
    if (before !== null) {
      Object.assign(audit.detail, { token_state: 'already_revoked', revoked_at: before })
      return finish(ctx, res, audit)
    }
    const at = new Date().toISOString()
    const pushed = await ctx.lifecycle.publish({ type: 'token.revoked', jti, exp: payload.exp!, at }, !flawed(ctx, 'revocation-not-propagated'))
    Object.assign(audit.detail, { token_state: 'revoked', revoked_at: at, token_exp: payload.exp, replicas: pushed.replicas, propagated: pushed.propagated })
    if (pushed.failed.length > 0) throw propagationIncomplete(pushed.failed, pushed.replicas)
    finish(ctx, res, audit)
  } catch (e) {
    const r = asRefusal(e, 'revocation')
    refuse(ctx, res, audit, r, r.status === 503 ? { 'retry-after': '1' } : undefined)
  }
}

function finish(ctx: AsContext, res: ServerResponse, audit: ReturnType<typeof newAudit>): void {
  if (!record(ctx, audit, 200, 'ok')) throw evidenceUnavailable()
  res.writeHead(200, { 'cache-control': 'no-store', 'content-length': 0 }).end()
}
