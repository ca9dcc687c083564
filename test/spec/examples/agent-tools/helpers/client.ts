/**
 * A standards-only OAuth client for the example, written for the tests with jose and fetch:
 * RFC 7591 registration (what gatecrash sends, proprietary members included, which the example
 * ignores), RFC 7523 client assertions, RFC 9449 DPoP proofs, RFC 8693 token exchange, and tool
 * calls carrying W3C traceparent and X-Request-Id.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'

export const GRANT_TE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt'
export const TYPE_AT = 'urn:ietf:params:oauth:token-type:access_token'
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export interface Key {
  privateKey: CryptoKey
  publicJwk: JWK
  jkt: string
}

export async function newKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const publicJwk = await exportJWK(publicKey)
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) }
}

export interface Agent extends Key {
  clientId: string
  registrationAccessToken: string
  registrationClientUri: string
}

export interface Http {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

async function http(url: string, init: RequestInit): Promise<Http> {
  const res = await fetch(url, { ...init, redirect: 'manual' })
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
  } catch {
    body = { raw: text }
  }
  return { status: res.status, headers: res.headers, body }
}

export function registrationRequest(key: Key, opts: { scope: string[]; name?: string; tenant?: string; parent?: string }): Record<string, unknown> {
  return {
    client_name: opts.name ?? 'test agent',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...key.publicJwk, kid: key.jkt, alg: 'ES256', use: 'sig' }] },
    grant_types: ['client_credentials', GRANT_TE],
    scope: opts.scope.join(' '),
    dpop_bound_access_tokens: true,
    // what gatecrash also sends; the example ignores both (no proprietary registration members)
    tenant: opts.tenant,
    parent_client_id: opts.parent,
  }
}

export function register(issuer: string, initialAccessToken: string | null, body: Record<string, unknown>): Promise<Http> {
  return http(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(initialAccessToken !== null ? { authorization: `Bearer ${initialAccessToken}` } : {}) },
    body: JSON.stringify(body),
  })
}

export async function newAgent(issuer: string, iat: string, scope: string[]): Promise<Agent> {
  const key = await newKey()
  const res = await register(issuer, iat, registrationRequest(key, { scope }))
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { ...key, clientId: res.body.client_id as string, registrationAccessToken: res.body.registration_access_token as string, registrationClientUri: res.body.registration_client_uri as string }
}

export interface ProofOptions {
  ath?: string
  iat?: number
  jti?: string
  htu?: string
  htm?: string
}

export function dpopProof(key: Key, htm: string, htu: string, o: ProofOptions = {}): Promise<string> {
  return new SignJWT({ htm: o.htm ?? htm, htu: o.htu ?? htu, jti: o.jti ?? randomUUID(), ...(o.ath !== undefined ? { ath: o.ath } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setIssuedAt(o.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey)
}

export function clientAssertion(agent: Agent, aud: string | string[], o: { iat?: number; ttlS?: number; jti?: string } = {}): Promise<string> {
  const iat = o.iat ?? Math.floor(Date.now() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: agent.jkt })
    .setIssuer(agent.clientId)
    .setSubject(agent.clientId)
    .setAudience(aud)
    .setJti(o.jti ?? randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.ttlS ?? 60))
    .sign(agent.privateKey)
}

export function traceparent(): { traceparent: string; traceId: string; requestId: string } {
  const traceId = randomBytes(16).toString('hex')
  return { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, traceId, requestId: randomUUID() }
}

export interface TokenRequest {
  params: Record<string, string | undefined>
  /** the DPoP proof's key; default the agent's own; null sends none */
  proofKey?: Key | null
  proof?: string
  assertionAud?: string | string[]
  assertion?: string
}

/** A token-endpoint POST authenticated with private_key_jwt (aud = issuer) and a DPoP proof. */
export async function tokenRequest(issuer: string, agent: Agent, r: TokenRequest): Promise<Http & { traceId: string }> {
  const t = traceparent()
  const proofKey = r.proofKey === undefined ? agent : r.proofKey
  const proof = r.proof ?? (proofKey === null ? undefined : await dpopProof(proofKey, 'POST', `${issuer}/token`))
  const form = new URLSearchParams()
  for (const [k, v] of Object.entries({ ...r.params, client_id: agent.clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: r.assertion ?? (await clientAssertion(agent, r.assertionAud ?? issuer)) })) {
    if (v !== undefined) form.set(k, v)
  }
  const res = await http(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(proof !== undefined ? { dpop: proof } : {}), traceparent: t.traceparent, 'x-request-id': t.requestId },
    body: form,
  })
  return { ...res, traceId: t.traceId }
}

export function exchange(issuer: string, agent: Agent, subjectToken: string, subjectTokenType: string, resource: string, scope?: string[], extra: Record<string, string> = {}) {
  return tokenRequest(issuer, agent, { params: { grant_type: GRANT_TE, subject_token: subjectToken, subject_token_type: subjectTokenType, resource, scope: scope?.join(' '), ...extra } })
}

export interface CallOptions {
  method?: 'GET' | 'POST'
  body?: unknown
  /** the proof to send; default a fresh one by `proofKey` */
  proof?: string | null
  proofKey?: Key
  proofOptions?: ProofOptions
  scheme?: string
  headers?: Record<string, string>
}

export async function callTool(url: string, token: string | null, key: Key, o: CallOptions = {}): Promise<Http & { traceId: string; proof: string | null }> {
  const method = o.method ?? 'GET'
  const t = traceparent()
  const ath = token === null ? undefined : await sha256(token)
  const proof = o.proof !== undefined ? o.proof : token === null ? null : await dpopProof(o.proofKey ?? key, method, url.split('?')[0], { ath, ...o.proofOptions })
  const headers: Record<string, string> = { traceparent: t.traceparent, 'x-request-id': t.requestId, ...o.headers }
  if (token !== null) headers.authorization = `${o.scheme ?? 'DPoP'} ${token}`
  if (proof !== null) headers.dpop = proof
  if (o.body !== undefined) headers['content-type'] = 'application/json'
  const res = await http(url, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) })
  return { ...res, traceId: t.traceId, proof }
}

export async function sha256(value: string): Promise<string> {
  const { createHash } = await import('node:crypto')
  return createHash('sha256').update(value).digest('base64url')
}

/** A GET through node:http with raw header lines (repeated names, any Host): what fetch cannot send. */
export function rawGet(url: string, headers: [string, string][]): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
  return import('node:http').then(
    ({ request }) =>
      new Promise((resolve, reject) => {
        // with raw header lines node:http adds no Host header of its own
        const lines = headers.some(([k]) => k.toLowerCase() === 'host') ? headers : [['host', new URL(url).host] as [string, string], ...headers]
        const req = request(url, { method: 'GET', headers: lines.flat() }, (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (text += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }))
        })
        req.on('error', reject)
        req.end()
      }),
  )
}
