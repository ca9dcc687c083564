/**
 * TargetAdmin for the reference target: the AS's loopback admin API (signing keys, per-client token
 * lifetime) and the resource servers' side-effect ledger. The admin secret lives only in a private
 * field, so serialising the StartedTarget (run.json, logs) cannot leak it. Every call goes through
 * the harness's host policy (an HttpClient: the URL checked, the resolved address checked at
 * connect time, redirects never followed), loopback only by default.
 *
 * @example
 * const { kid } = await target.admin!.rotateSigningKey()
 * await target.admin!.retireSigningKey(oldKid)   // tokens signed with oldKid stop working at once
 */
import { request } from 'undici'
import type { TargetAdmin } from '../../harness/contracts/target.ts'
import { loopbackHttp, type HttpClient } from '../../harness/protocol/http.ts'

export interface ReferenceAdminOptions {
  /** the AS base URL (the admin API lives under /admin/) */
  asUrl: string
  adminSecret: string
  /** base URLs of every replica of the resource server keeping the refund ledger, as they are now */
  refundReplicaUrls: () => readonly string[]
  timeoutMs?: number
  /** the connection options (host policy, TLS) every admin call goes through; loopback only by default */
  http?: HttpClient
}

export class AdminCallFailed extends Error {
  readonly status: number
  constructor(operation: string, status: number, body: string) {
    super(`${operation}: admin API answered ${status}${body !== '' ? ` ${body.slice(0, 300)}` : ''}`)
    this.name = 'AdminCallFailed'
    this.status = status
  }
}

export class ReferenceAdminClient implements TargetAdmin {
  readonly #asUrl: string
  readonly #secret: string
  readonly #refundReplicaUrls: () => readonly string[]
  readonly #timeoutMs: number
  readonly #http: HttpClient

  constructor(options: ReferenceAdminOptions) {
    this.#asUrl = options.asUrl
    this.#secret = options.adminSecret
    this.#refundReplicaUrls = options.refundReplicaUrls
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#http = options.http ?? loopbackHttp
    this.#http.check(this.#asUrl)
  }

  /** `url` checked against the host policy, and the dispatcher whose connections obey it */
  #target(url: string): { url: URL; dispatcher: ReturnType<HttpClient['dispatcher']> } {
    const parsed = this.#http.check(url)
    return { url: parsed, dispatcher: this.#http.dispatcher(parsed.protocol) }
  }

  async rotateSigningKey(): Promise<{ kid: string }> {
    const { kid } = await this.#call('POST', '/admin/keys/rotate')
    return { kid: kid as string }
  }

  async retireSigningKey(kid: string): Promise<void> {
    await this.#call('POST', '/admin/keys/retire', { kid })
  }

  async currentSigningKid(): Promise<string> {
    return (await this.#call('GET', '/admin/keys/current')).kid as string
  }

  async setTokenTtl(clientId: string, ttlS: number): Promise<void> {
    await this.#call('POST', `/admin/clients/${encodeURIComponent(clientId)}/token-ttl`, { ttl_s: ttlS })
  }

  /** Refunds issued for requests with this trace id, summed over every replica. */
  async refundCount(traceId: string): Promise<number> {
    const counts = await Promise.all(this.#refundReplicaUrls().map(async (base) => {
      const { url, dispatcher } = this.#target(`${base}/admin/refunds?trace_id=${encodeURIComponent(traceId)}`)
      const res = await request(url, { dispatcher, headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new AdminCallFailed(`refund ledger at ${base}`, res.statusCode, text)
      const { count } = JSON.parse(text) as { count?: unknown }
      if (typeof count !== 'number') throw new AdminCallFailed(`refund ledger at ${base}`, res.statusCode, text)
      return count
    }))
    return counts.reduce((a, b) => a + b, 0)
  }

  async #call(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { url, dispatcher } = this.#target(`${this.#asUrl}${path}`)
    const res = await request(url, {
      dispatcher,
      method,
      headers: { authorization: `Bearer ${this.#secret}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new AdminCallFailed(`${method} ${path}`, res.statusCode, text)
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
  }

  toJSON(): Record<string, unknown> {
    return { kind: 'reference-admin', asUrl: this.#asUrl }
  }
}
