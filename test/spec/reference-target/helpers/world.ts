/**
 * A started reference target plus the client side the specs need: registration, token requests,
 * tool calls and evidence read-back. Kept test-local on purpose (no dependency on harness/protocol).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request, type Dispatcher } from 'undici'
import type { EvidenceRecord } from '../../../../harness/contracts/evidence.ts'
import type { HttpCursorSourceSpec, ResourceServerInfo, StartedTarget } from '../../../../harness/contracts/target.ts'
import { referenceTarget, type ReferenceStartOptions } from '../../../../targets/reference/adapter.ts'
import { clientAssertion, dpopProof, newKeyPair, newTrace, type KeyPair } from './client-crypto.ts'
import { WorkforceIdp } from './workforce-idp.ts'

export const TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt'
export const TYPE_AT = 'urn:ietf:params:oauth:token-type:access_token'
export const GRANT_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'

export interface Actor {
  clientId: string
  key: KeyPair
  tenant: string
}

export interface HttpResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
  traceId: string
}

export interface CallOptions {
  body?: unknown
  /** a ready proof, several (sent as repeated DPoP headers), or null to send none */
  proof?: string | string[] | null
  scheme?: 'DPoP' | 'Bearer'
  noAuth?: boolean
  /** reuse a trace id (replays) */
  traceId?: string
  /** the resource server to call (default rs-1) */
  rs?: ResourceServerInfo
  /** e.g. a one-connection undici Client, to pick a replica through the round-robin front */
  dispatcher?: Dispatcher
  /** send to this base URL instead of the front (an in-process replica); htu still names the front */
  via?: string
  /** more request headers, e.g. a `host` or `x-forwarded-host` other than the URL's */
  headers?: Record<string, string>
}

export class World {
  readonly target: StartedTarget<HttpCursorSourceSpec>
  readonly idp: WorkforceIdp
  readonly iat: string
  /** the evidence writers' sink secret this world started the target with (local writers use it) */
  readonly evidenceSecret: string
  readonly #dataDir: string

  private constructor(target: StartedTarget<HttpCursorSourceSpec>, idp: WorkforceIdp, iat: string, dataDir: string, evidenceSecret: string) {
    this.target = target
    this.idp = idp
    this.iat = iat
    this.evidenceSecret = evidenceSecret
    this.#dataDir = dataDir
  }

  static async start(flaws: string[] = [], options: Omit<ReferenceStartOptions, 'trust' | 'flaws' | 'dataDir' | 'initialAccessToken'> = {}): Promise<World> {
    const idp = await WorkforceIdp.create()
    const dataDir = await mkdtemp(join(tmpdir(), 'gatecrash-ref-'))
    const iat = randomBytes(24).toString('base64url')
    const evidenceSecret = options.evidenceSecret ?? randomBytes(32).toString('base64url')
    const target = await referenceTarget.start({ trust: idp.trust, flaws, dataDir, initialAccessToken: iat, ...options, evidenceSecret })
    return new World(target, idp, iat, dataDir, evidenceSecret)
  }

  /** rs-1, the support tools */
  get rs(): ResourceServerInfo {
    return this.target.resources[0]
  }

  /** rs-2, the knowledge base */
  get rs2(): ResourceServerInfo {
    return this.target.resources[1]
  }

  /** a started component by name, e.g. `replay-store` or `rs-1/front` */
  component(name: string): { name: string; url: string; internalUrl?: string; pid?: number } {
    const c = this.target.components.find((x) => x.name === name)
    if (c === undefined) throw new Error(`no component ${name}`)
    return c
  }

  /** the replica components of a resource server, e.g. rs-1/0, rs-1/1 */
  replicas(rsId = 'rs-1'): { name: string; url: string; internalUrl?: string; pid?: number }[] {
    return this.target.components.filter((c) => c.name.startsWith(`${rsId}/`) && /\/\d+$/.test(c.name))
  }

  /** Refunds recorded for a trace id, summed over the rs-1 replicas (each keeps its own ledger, read on its internal listener). */
  async refundCount(traceId: string): Promise<number> {
    let total = 0
    for (const r of this.replicas('rs-1')) {
      if (r.internalUrl === undefined) throw new Error(`${r.name} has no internal listener`)
      const res = await request(`${r.internalUrl}/admin/refunds?trace_id=${traceId}`)
      total += ((await res.body.json()) as { count: number }).count
    }
    return total
  }

  get dataDir(): string {
    return this.#dataDir
  }

  get tokenEndpoint(): string {
    return `${this.target.issuer}/token`
  }

  async stop(): Promise<void> {
    await this.target.stop()
    await rm(this.#dataDir, { recursive: true, force: true })
  }

  async http(method: string, url: string, headers: Record<string, string | string[]>, body?: string, traceId?: string, dispatcher?: Dispatcher): Promise<HttpResult> {
    const trace = traceId !== undefined ? { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } : newTrace()
    const res = await request(url, { method: method as 'GET', headers: { traceparent: trace.traceparent, 'x-request-id': `req-${trace.traceId.slice(0, 8)}`, ...headers }, body, dispatcher })
    const text = await res.body.text()
    return { status: res.statusCode, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), traceId: trace.traceId }
  }

  async register(meta: { tenant: string; scope: string; parent?: string; grantTypes?: string[] }, key?: KeyPair): Promise<Actor & { response: HttpResult }> {
    const k = key ?? (await newKeyPair())
    const response = await this.http('POST', `${this.target.issuer}/register`, { authorization: `Bearer ${this.iat}`, 'content-type': 'application/json' }, JSON.stringify({
      client_name: 'spec agent',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [k.publicJwk] },
      grant_types: meta.grantTypes ?? ['client_credentials', GRANT_EXCHANGE],
      scope: meta.scope,
      dpop_bound_access_tokens: true,
      tenant: meta.tenant,
      ...(meta.parent !== undefined ? { parent_client_id: meta.parent } : {}),
    }))
    return { clientId: response.body.client_id as string, key: k, tenant: meta.tenant, response }
  }

  /** Token request authenticated as `actor` with a fresh assertion and DPoP proof by `actor.key`. */
  async token(actor: Actor, params: Record<string, string>, proofKey: KeyPair = actor.key): Promise<HttpResult> {
    const form = new URLSearchParams({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(actor.key, actor.clientId, this.tokenEndpoint),
      ...params,
    })
    const proof = await dpopProof(proofKey, { htm: 'POST', htu: this.tokenEndpoint })
    return this.http('POST', this.tokenEndpoint, { 'content-type': 'application/x-www-form-urlencoded', dpop: proof }, form.toString())
  }

  exchange(actor: Actor, subjectToken: string, subjectType: string, scope?: string, resource = this.rs.audience): Promise<HttpResult> {
    return this.token(actor, {
      grant_type: GRANT_EXCHANGE,
      subject_token: subjectToken,
      subject_token_type: subjectType,
      resource,
      ...(scope !== undefined ? { scope } : {}),
    })
  }

  async proofFor(actor: Actor, method: string, path: string, token: string, rs = this.rs): Promise<string> {
    return dpopProof(actor.key, { htm: method, htu: `${rs.origin}${path}`, accessToken: token })
  }

  /** Calls a tool (on rs-1 unless `o.rs` says otherwise) with a DPoP-bound token. */
  async call(actor: Actor, token: string, method: 'GET' | 'POST', path: string, o: CallOptions = {}): Promise<HttpResult> {
    const rs = o.rs ?? this.rs
    const headers: Record<string, string | string[]> = { ...o.headers }
    if (o.noAuth !== true) headers.authorization = `${o.scheme ?? 'DPoP'} ${token}`
    const proof = o.proof === undefined ? await this.proofFor(actor, method, path.split('?')[0], token, rs) : o.proof
    if (proof !== null) headers.dpop = proof
    let body: string | undefined
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(o.body)
    }
    return this.http(method, `${o.via ?? rs.origin}${path}`, headers, body, o.traceId, o.dispatcher)
  }

  async records(): Promise<EvidenceRecord[]> {
    const all: EvidenceRecord[] = []
    let after: string | null = null
    for (let page = 0; page < 100; page++) {
      const q: string = after === null ? '?limit=5000' : `?limit=5000&after=${encodeURIComponent(after)}`
      const res = await request(`${this.target.evidence.url}/records${q}`)
      const body = (await res.body.json()) as { records: EvidenceRecord[]; cursor: string }
      all.push(...body.records)
      if (body.records.length === 0) break
      after = body.cursor
    }
    return all
  }

  /** Records carrying `traceId`, once at least `count` have arrived (evidence is shipped in batches). */
  async recordsFor(traceId: string, count = 1, timeoutMs = 3_000): Promise<EvidenceRecord[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = (await this.records()).filter((r) => r.correlation.trace_id === traceId)
      if (found.length >= count || Date.now() > deadline) return found
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  async recordFor(traceId: string): Promise<EvidenceRecord> {
    const [r] = await this.recordsFor(traceId, 1)
    if (r === undefined) throw new Error(`no evidence record for trace ${traceId}`)
    return r
  }

  /** Waits long enough for any record of `traceId` to have arrived, then returns what did. */
  async settledRecordsFor(traceId: string, settleMs = 300): Promise<EvidenceRecord[]> {
    await new Promise((r) => setTimeout(r, settleMs))
    return (await this.records()).filter((r) => r.correlation.trace_id === traceId)
  }
}
