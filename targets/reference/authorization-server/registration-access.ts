/**
 * RFC 7592 §2.1, §2.3: the client configuration endpoint (`/register/{client_id}`) serves only the
 * holder of that client's own registration access token. Any other presented token (another
 * client's, a made-up one, one of a deleted client) or none is refused 401 `invalid_token`
 * (RFC 6750 §3.1): one agent must not read or offboard another, and a deleted client's token is
 * dead with it. The read (GET) writes evidence like the deletion does.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { requestIdOf, sendJson, singleHeader, traceIdOf } from '../shared/http-io.ts'
import { Refusal } from '../shared/oauth-error.ts'
import { flawed, type AsContext } from './as-context.ts'
import { newAudit } from './as-evidence.ts'
import { asRefusal, evidenceUnavailable, record, refuse } from './as-outcome.ts'
import type { RegisteredClient } from './client-registry.ts'

function sameSecret(presented: string, expectedHash: string): boolean {
  return timingSafeEqual(createHash('sha256').update(presented).digest(), Buffer.from(expectedHash, 'base64url'))
}

/**
 * The registered client `clientId` if the request carries its registration access token; otherwise
 * a 401 refusal (with `offboarded_at` when the client was deleted, so the record says why).
 * `read`: a GET, where flaw `registration-token-survives-delete` still finds a deleted client.
 */
export function registrationHolder(ctx: AsContext, req: IncomingMessage, clientId: string, read = false): RegisteredClient {
  const authz = singleHeader(req, 'authorization')
  const bearer = typeof authz === 'string' ? /^Bearer +(\S+)$/i.exec(authz) : null
  // flaw `registration-token-survives-delete`: the deleted client's registration stays readable with its old token
  const client = ctx.clients.get(clientId) ?? (read && flawed(ctx, 'registration-token-survives-delete') ? ctx.clients.retained(clientId) : undefined)
  const own = client !== undefined && bearer !== null && sameSecret(bearer[1], client.registrationTokenHash)
  // flaw `registration-token-any-client`: any client's valid registration access token manages every registration
  const anyClient = client !== undefined && bearer !== null && !own && flawed(ctx, 'registration-token-any-client') && ctx.clients.holdsRegistrationToken(b64urlSha256(bearer[1]))
  if (!own && !anyClient) {
    const deletedAt = ctx.clients.deletedAt(clientId)
    throw new Refusal(401, 'invalid_token', 'client.registration_unauthorized', 'unknown client or wrong registration access token', deletedAt !== null ? { offboarded_at: deletedAt } : {})
  }
  return client!
}

/** RFC 7592 §2.1: read a registration with its registration access token. */
export function handleRegistrationRead(ctx: AsContext, req: IncomingMessage, res: ServerResponse, clientId: string): void {
  req.resume()
  const audit = newAudit('GET', `/register/${clientId}`, 'client.read', traceIdOf(req), requestIdOf(req))
  try {
    const client = registrationHolder(ctx, req, clientId, true)
    audit.clientId = client.client_id
    audit.tenant = client.tenant
    audit.principal = { sub: client.client_id, type: 'agent' }
    audit.held = client.scope
    if (!record(ctx, audit, 200, 'ok')) throw evidenceUnavailable()
    sendJson(res, 200, { ...ctx.clients.metadata(client), registration_client_uri: `${ctx.issuer}/register/${client.client_id}` }, { 'cache-control': 'no-store' })
  } catch (e) {
    const r = asRefusal(e, 'registration read')
    refuse(ctx, res, audit, r, r.status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : r.status === 503 ? { 'retry-after': '1' } : undefined)
  }
}
