/** HTTP routes of the authorization server. */
import type { RequestListener } from 'node:http'
import { isLoopback, sendJson } from '../shared/http-io.ts'
import { LIFECYCLE_PATH } from '../shared/lifecycle-events.ts'
import type { AsContext } from './as-context.ts'
import { bearerMatches, handleAdmin } from './admin-api.ts'
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE } from './client-registry.ts'
import { handleClientDelete } from './client-deletion.ts'
import { handleRegister } from './registration.ts'
import { handleRegistrationRead } from './registration-access.ts'
import { handleRevoke } from './revocation.ts'
import { handleToken } from './token-endpoint.ts'

/** RFC 8414 §2 */
export function asMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    jwks_uri: `${issuer}/jwks`,
    revocation_endpoint: `${issuer}/revoke`,
    grant_types_supported: [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['ES256'],
    revocation_endpoint_auth_methods_supported: ['private_key_jwt'],
    revocation_endpoint_auth_signing_alg_values_supported: ['ES256'],
    dpop_signing_alg_values_supported: ['ES256'],
  }
}

const REGISTRATION = /^\/register\/([A-Za-z0-9_-]{1,64})$/

export function asHandler(ctx: AsContext): RequestListener {
  const metadata = asMetadata(ctx.issuer)
  return (req, res) => {
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const path = q === -1 ? raw : raw.slice(0, q)
    const route = `${req.method} ${path}`
    const fail = (e: unknown): void => {
      process.stderr.write(`as: ${route} failed: ${e instanceof Error ? e.stack : String(e)}\n`)
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' })
    }
    if (route === 'GET /.well-known/oauth-authorization-server') return sendJson(res, 200, metadata)
    if (route === 'GET /jwks') return sendJson(res, 200, ctx.keys.published(), { 'cache-control': 'max-age=60' })
    if (route === 'GET /health') return sendJson(res, 200, { status: 'ok' })
    if (route === 'POST /token') return void handleToken(ctx, req, res).catch(fail)
    if (route === 'POST /revoke') return void handleRevoke(ctx, req, res).catch(fail)
    if (route === 'POST /register') return void handleRegister(ctx, req, res).catch(fail)
    const registration = REGISTRATION.exec(path)
    if (registration !== null && req.method === 'GET') return handleRegistrationRead(ctx, req, res, registration[1])
    if (registration !== null && req.method === 'DELETE') return void handleClientDelete(ctx, req, res, registration[1]).catch(fail)
    if (path.startsWith('/admin/')) return void handleAdmin(ctx, req, res, path).catch(fail)
    req.resume()
    if (route === `GET ${LIFECYCLE_PATH}`) {
      // resource-server replicas pull the lifecycle snapshot here when they start
      if (!isLoopback(req) || !bearerMatches(req, ctx.lifecycleSecretHash)) return sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' })
      return sendJson(res, 200, { events: ctx.lifecycle.snapshot() })
    }
    sendJson(res, 404, { error: 'not_found' })
  }
}
