/**
 * RFC 7591 dynamic client registration, gated by the initial access token (the RFC 7592 read and
 * deletion: registration-access.ts, client-deletion.ts).
 * Every agent and sub-agent gets its own client_id and key; a sub-agent names its parent at
 * registration (extension `parent_client_id`) and can never hold more scope than the parent.
 *
 * The `tenant` member is an extension and optional, so a client that sends only RFC 7591 §2 members
 * registers too (§3.1: the server decides what metadata it needs). Without it a client takes its
 * parent's tenant, or none until its first token exchange binds it to the subject token's tenant
 * (grants.ts): tenancy then travels as a claim of the subject token, and a client still serves one
 * tenant only.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { importJWK, type JWK } from 'jose'
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { readBody, requestIdOf, sendJson, singleHeader, traceIdOf } from '../shared/http-io.ts'
import { randomId } from '../shared/ids.ts'
import { ecPublicJwkProblem } from '../shared/jwk-keys.ts'
import { Refusal } from '../shared/oauth-error.ts'
import { isSubset, isValidScopeString, parseScope } from '../shared/scope.ts'
import { flawed, type AsContext } from './as-context.ts'
import { asRecord, newAudit, type Audit } from './as-evidence.ts'
import { GRANT_CLIENT_CREDENTIALS, SUPPORTED_GRANTS, type RegisteredClient } from './client-registry.ts'

const TENANT = /^[A-Za-z0-9_.~-]{1,128}$/
const MAX_DEPTH = 8

function sameSecret(presented: string, expectedHash: string): boolean {
  const a = createHash('sha256').update(presented).digest()
  return timingSafeEqual(a, Buffer.from(expectedHash, 'base64url'))
}

function invalid(description: string, reason = 'client.invalid_metadata'): Refusal {
  return new Refusal(400, 'invalid_client_metadata', reason, description)
}

type Metadata = Omit<RegisteredClient, 'client_id' | 'client_id_issued_at' | 'key' | 'registrationTokenHash'>

function validate(m: Record<string, unknown>): Metadata {
  if (m.token_endpoint_auth_method !== 'private_key_jwt') throw invalid('token_endpoint_auth_method must be private_key_jwt')
  if (m.token_endpoint_auth_signing_alg !== undefined && m.token_endpoint_auth_signing_alg !== 'ES256') throw invalid('token_endpoint_auth_signing_alg must be ES256')
  if (m.jwks_uri !== undefined) throw invalid('jwks_uri is not supported; send jwks')
  const keys = (m.jwks as { keys?: unknown } | undefined)?.keys
  if (!Array.isArray(keys) || keys.length !== 1) throw invalid('jwks must hold exactly one key')
  const problem = ecPublicJwkProblem(keys[0])
  if (problem !== null) throw invalid(`jwks: ${problem}`)
  const grants = m.grant_types ?? [GRANT_CLIENT_CREDENTIALS]
  if (!Array.isArray(grants) || grants.length === 0 || !grants.every((g) => SUPPORTED_GRANTS.includes(g as string))) {
    throw invalid(`grant_types must be a non-empty subset of ${SUPPORTED_GRANTS.join(', ')}`)
  }
  if (typeof m.scope !== 'string' || !isValidScopeString(m.scope) || parseScope(m.scope).length === 0) throw invalid('scope must be a non-empty space-separated string')
  if (m.dpop_bound_access_tokens !== undefined && m.dpop_bound_access_tokens !== true) throw invalid('dpop_bound_access_tokens must be true')
  if (m.tenant !== undefined && (typeof m.tenant !== 'string' || !TENANT.test(m.tenant))) throw invalid('tenant, when sent, must be 1-128 characters of A-Z a-z 0-9 _ . ~ -')
  if (m.parent_client_id !== undefined && typeof m.parent_client_id !== 'string') throw invalid('parent_client_id must be a string')
  if (m.client_name !== undefined && (typeof m.client_name !== 'string' || m.client_name.length > 200)) throw invalid('client_name must be a string of at most 200 characters')
  const { kty, crv, x, y } = keys[0] as JWK
  return {
    client_name: (m.client_name as string | undefined) ?? null,
    tenant: (m.tenant as string | undefined) ?? null,
    parent_client_id: (m.parent_client_id as string | undefined) ?? null,
    scope: parseScope(m.scope),
    grant_types: [...new Set(grants as string[])],
    jwk: { kty, crv, x, y },
  }
}

/**
 * A sub-agent stays within its parent: its scope, its depth, and its tenant. Returns the sub-agent's
 * tenant: the one it named, else its parent's (null while both are unbound: then the exchange of
 * the parent's token binds it, and that token carries the parent's tenant).
 */
function checkParent(ctx: AsContext, meta: Metadata): string | null {
  if (meta.parent_client_id === null) return meta.tenant
  const parent = ctx.clients.get(meta.parent_client_id)
  if (parent === undefined) throw invalid('parent_client_id is not a registered client', 'client.parent_unknown')
  // flaw `registration-parent-any-tenant`: a sub-agent may hang under another tenant's agent
  if (meta.tenant !== null && parent.tenant !== null && parent.tenant !== meta.tenant && !flawed(ctx, 'registration-parent-any-tenant')) throw invalid('a sub-agent must be in its parent\'s tenant', 'client.parent_tenant_mismatch')
  if (!isSubset(meta.scope, parent.scope)) throw invalid('a sub-agent\'s scope must be within its parent\'s scope', 'client.parent_scope_widen')
  if (ctx.clients.depth(parent.client_id) + 1 > MAX_DEPTH) throw invalid(`delegation deeper than ${MAX_DEPTH} levels`, 'client.depth_exceeded')
  return meta.tenant ?? parent.tenant
}

/**
 * A registrant asks only for scopes some resource server of this AS uses: a scope nobody defines
 * (`admin:all`) would sit in the client's metadata as a standing claim waiting for a tool to honour
 * it. (RFC 7591 §2 lets the AS refuse or replace requested metadata.)
 */
function checkScope(ctx: AsContext, meta: Metadata): void {
  // flaw `registration-scope-unchecked`: any syntactically valid scope is registered
  if (flawed(ctx, 'registration-scope-unchecked')) return
  const known = new Set([...ctx.resources.values()].flat())
  const unknown = meta.scope.filter((s) => !known.has(s))
  if (unknown.length > 0) throw invalid(`scope names what no resource server here uses: ${unknown.slice(0, 8).join(' ')}`, 'client.scope_unknown')
}

export async function handleRegister(ctx: AsContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const audit: Audit = newAudit('POST', '/register', 'client.register', traceIdOf(req), requestIdOf(req))
  try {
    const raw = await readBody(req, 64 * 1024).catch(() => {
      throw invalid('body too large or unreadable')
    })
    const authz = singleHeader(req, 'authorization')
    const bearer = typeof authz === 'string' ? /^Bearer +(\S+)$/i.exec(authz) : null
    // flaw `registration-open`: registers without (or with any) initial access token
    if ((bearer === null || !sameSecret(bearer[1], ctx.initialAccessTokenHash)) && !flawed(ctx, 'registration-open')) {
      throw new Refusal(401, 'invalid_token', 'client.registration_unauthorized', 'a valid initial access token is required')
    }
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      throw invalid('body must be JSON')
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('body must be a JSON object')
    const meta = validate(body as Record<string, unknown>)
    audit.tenant = meta.tenant
    audit.requested = meta.scope
    audit.detail = { parent_client_id: meta.parent_client_id, grant_types: meta.grant_types }
    meta.tenant = checkParent(ctx, meta)
    checkScope(ctx, meta)
    audit.tenant = meta.tenant
    const registrationAccessToken = randomBytes(32).toString('base64url')
    const client: RegisteredClient = {
      ...meta,
      client_id: randomId(meta.parent_client_id === null ? 'agent' : 'subagent'),
      client_id_issued_at: Math.floor(Date.now() / 1000),
      key: await importJWK(meta.jwk, 'ES256') as RegisteredClient['key'],
      registrationTokenHash: b64urlSha256(registrationAccessToken),
    }
    audit.clientId = client.client_id
    audit.principal = { sub: client.client_id, type: 'agent' }
    audit.actors = []
    audit.held = client.scope
    if (!ctx.writer.append(asRecord(ctx.issuer, audit, 201, 'ok'))) throw new Refusal(503, 'temporarily_unavailable', 'system.evidence_unavailable', 'evidence cannot be recorded')
    ctx.clients.add(client)
    sendJson(res, 201, {
      ...ctx.clients.metadata(client),
      registration_access_token: registrationAccessToken,
      registration_client_uri: `${ctx.issuer}/register/${client.client_id}`,
    })
  } catch (e) {
    if (!(e instanceof Refusal)) throw e
    if (e.reason !== 'system.evidence_unavailable' && !ctx.writer.append(asRecord(ctx.issuer, audit, e.status, e.reason, e.error))) {
      return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'evidence cannot be recorded', reason: 'system.evidence_unavailable' })
    }
    const headers = e.status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : undefined
    sendJson(res, e.status, { error: e.error, error_description: e.message }, headers)
  }
}

