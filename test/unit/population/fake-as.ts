/**
 * A tiny authorization server on node:http for provisioning tests: RFC 8414 metadata, RFC 7591
 * registration, RFC 8693 token exchange, RFC 7592 delete. It checks what the real one will check
 * (with jose, independently of the harness's own signing code) and records every request so tests
 * can assert on the shapes the harness sent.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { EmbeddedJWK, calculateJwkThumbprint, createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import type { JWK, JWTPayload } from 'jose'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { encodeSegment, signCompact } from '../../../harness/protocol/jws.ts'
import { afterEach } from 'vitest'
import { WorkforceIdp } from '../../../harness/population/workforce-idp.ts'
import type { RegistrationPolicy } from '../../../harness/contracts/target.ts'

export interface FakeClient {
  client_id: string
  body: Record<string, any>
  jwk: JWK
}

export interface TokenCall {
  headers: IncomingHttpHeaders
  form: Record<string, string>
  dpop: { header: Record<string, any>; payload: JWTPayload; jkt: string } | null
  assertion: JWTPayload | null
  client: FakeClient | null
  status: number
  subject?: JWTPayload
}

export interface FakeAsOptions {
  idp: WorkforceIdp
  initialAccessToken: string
  /** answer a token request for this client_name with this OAuth error */
  refuseExchange?: (clientName: string) => string | null
  requireNonce?: boolean
  issuerOverride?: string
  delayMs?: number
  /** `expires_in` to answer with, when it should disagree with the token's own `exp` (now + 300 s) */
  expiresIn?: number
}

export async function startFakeAs(opts: FakeAsOptions) {
  const asKey = generateIdentityKey()
  const atHeader = encodeSegment({ alg: 'ES256', typ: 'at+jwt', kid: asKey.kid })
  const clients = new Map<string, FakeClient>()
  const issued = new Map<string, JWTPayload>()
  const registrations: { headers: IncomingHttpHeaders; body: Record<string, any>; status: number }[] = []
  const tokenCalls: TokenCall[] = []
  const deletes: string[] = []
  let inFlight = 0
  let maxInFlight = 0
  let seq = 0
  const idpJwks = createLocalJWKSet(opts.idp.jwks())

  const server = createServer(async (req, res) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString()
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs))
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      inFlight--
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
      res.end(body === undefined ? '' : JSON.stringify(body))
    }
    try {
      const url = new URL(req.url!, issuer)
      if (req.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') {
        return send(200, { issuer: opts.issuerOverride ?? issuer, token_endpoint: `${issuer}/token`, registration_endpoint: `${issuer}/register` })
      }
      if (req.method === 'POST' && url.pathname === '/register') {
        const body = JSON.parse(raw)
        const ok = req.headers.authorization === `Bearer ${opts.initialAccessToken}`
        registrations.push({ headers: req.headers, body, status: ok ? 201 : 401 })
        if (!ok) return send(401, { error: 'invalid_token' })
        const client_id = `client_${++seq}`
        clients.set(client_id, { client_id, body, jwk: body.jwks.keys[0] })
        return send(201, { client_id, registration_access_token: `rat_${client_id}`, registration_client_uri: `${issuer}/register/${client_id}`, ...body })
      }
      if (req.method === 'DELETE' && url.pathname.startsWith('/register/')) {
        const id = url.pathname.slice('/register/'.length)
        if (req.headers.authorization !== `Bearer rat_${id}`) return send(401, { error: 'invalid_token' })
        deletes.push(id)
        clients.delete(id)
        return send(204, undefined)
      }
      if (req.method === 'POST' && url.pathname === '/token') return send(...(await token(req.headers, Object.fromEntries(new URLSearchParams(raw)))))
      send(404, { error: 'not_found' })
    } catch (err) {
      send(500, { error: 'server_error', error_description: String(err) })
    }
  })

  async function token(headers: IncomingHttpHeaders, form: Record<string, string>): Promise<[number, unknown, Record<string, string>?]> {
    const call: TokenCall = { headers, form, dpop: null, assertion: null, client: null, status: 0 }
    tokenCalls.push(call)
    const fail = (status: number, error: string, h?: Record<string, string>): [number, unknown, Record<string, string>?] => {
      call.status = status
      return [status, { error }, h]
    }
    const client = clients.get(form.client_id)
    if (!client) return fail(401, 'invalid_client')
    call.client = client
    try {
      const { payload } = await jwtVerify(form.client_assertion, createLocalJWKSet({ keys: [client.jwk] }), {
        // RFC 7523 §3: any value naming this AS; the issuer (rfc7523bis) or the token endpoint URL
        issuer: client.client_id, subject: client.client_id, audience: [issuer, `${issuer}/token`], algorithms: ['ES256'],
      })
      call.assertion = payload
    } catch {
      return fail(401, 'invalid_client')
    }
    let jkt: string
    try {
      const { payload, protectedHeader } = await jwtVerify(String(headers.dpop), EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
      jkt = await calculateJwkThumbprint(protectedHeader.jwk!)
      call.dpop = { header: protectedHeader, payload, jkt }
      if (payload.htm !== 'POST' || payload.htu !== `${issuer}/token`) return fail(400, 'invalid_dpop_proof')
      if (opts.requireNonce && payload.nonce !== 'n-1') return fail(400, 'use_dpop_nonce', { 'dpop-nonce': 'n-1' })
    } catch {
      return fail(400, 'invalid_dpop_proof')
    }
    const refusal = opts.refuseExchange?.(client.body.client_name)
    if (refusal) return fail(400, refusal)
    let subject: JWTPayload
    let act: Record<string, unknown>
    if (form.subject_token_type === 'urn:ietf:params:oauth:token-type:jwt') {
      subject = (await jwtVerify(form.subject_token, idpJwks, { issuer: opts.idp.issuer, audience: issuer })).payload
      act = { sub: client.client_id }
    } else {
      const parent = issued.get(form.subject_token)
      if (!parent || parent.client_id !== client.body.parent_client_id) return fail(400, 'invalid_request')
      subject = parent
      act = { sub: client.client_id, act: parent.act }
    }
    call.subject = subject
    const ceiling = String(subject.scope).split(' ')
    if (!form.scope.split(' ').every((s) => ceiling.includes(s))) return fail(400, 'invalid_scope')
    const now = Math.floor(Date.now() / 1000)
    const claims = {
      iss: issuer, sub: subject.sub, aud: form.resource, client_id: client.client_id, act,
      scope: form.scope, cnf: { jkt }, jti: `at_${++seq}`, iat: now, exp: now + 300,
    }
    const access_token = signCompact(asKey.privateKey, atHeader, claims)
    issued.set(access_token, claims)
    call.status = 200
    return [200, { access_token, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'DPoP', expires_in: opts.expiresIn ?? 300, scope: form.scope }]
  }

  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    issuer,
    clients,
    registrations,
    tokenCalls,
    deletes,
    get maxInFlight() {
      return maxInFlight
    },
    decode: decodeJwt,
    async close() {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/** The initial access token and resource the fake AS tests register and exchange with. */
export const IAT = 'iat-secret'

/**
 * The fake AS links a sub-agent to its parent at registration (`parent_client_id`), as the reference
 * target does: the registration policy a target like that gives the harness.
 */
export function registrationFor(iat: string): RegistrationPolicy {
  return { initialAccessToken: () => iat, members: ({ tenant, parentClientId }) => ({ tenant, ...(parentClientId ? { parent_client_id: parentClientId } : {}) }), cleanup: 'keep' }
}
export const RESOURCE = 'https://tools.gatecrash.test/rs1'

/**
 * A fake AS per test with its own workforce IdP, closed after the test: call once at the top of a
 * test file (it registers the afterEach), then call what it returns in each test.
 */
export function useFakeAs(): (opts?: Partial<Parameters<typeof startFakeAs>[0]>) => Promise<{ idp: WorkforceIdp; as: Awaited<ReturnType<typeof startFakeAs>> }> {
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    while (closers.length) await closers.pop()!()
  })
  return async (opts = {}) => {
    const idp = new WorkforceIdp()
    const as = await startFakeAs({ idp, initialAccessToken: IAT, ...opts })
    closers.push(as.close)
    return { idp, as }
  }
}
