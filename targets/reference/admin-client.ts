/**
 * TargetAdmin for the reference target: the AS's loopback admin API (signing keys, per-client token
 * lifetime) and the resource servers' side-effect ledger. The admin secret lives only in a private
 * field, so serialising the StartedTarget (run.json, logs) cannot leak it.
 *
 * @example
 * const { kid } = await target.admin!.rotateSigningKey()
 * await target.admin!.retireSigningKey(oldKid)   // tokens signed with oldKid stop working at once
 */
import { request } from 'undici'
import type { TargetAdmin } from '../../harness/contracts/target.ts'

export interface ReferenceAdminOptions {
  /** the AS base URL (the admin API lives under /admin/) */
  asUrl: string
  adminSecret: string
  /** base URLs of every replica of the resource server keeping the refund ledger, as they are now */
  refundReplicaUrls: () => readonly string[]
  timeoutMs?: number
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

  constructor(options: ReferenceAdminOptions) {
    this.#asUrl = options.asUrl
    this.#secret = options.adminSecret
    this.#refundReplicaUrls = options.refundReplicaUrls
    this.#timeoutMs = options.timeoutMs ?? 10_000
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
      const res = await request(`${base}/admin/refunds?trace_id=${encodeURIComponent(traceId)}`, { headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new AdminCallFailed(`refund ledger at ${base}`, res.statusCode, text)
      const { count } = JSON.parse(text) as { count?: unknown }
      if (typeof count !== 'number') throw new AdminCallFailed(`refund ledger at ${base}`, res.statusCode, text)
      return count
    }))
    return counts.reduce((a, b) => a + b, 0)
  }

  async #call(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await request(`${this.#asUrl}${path}`, {
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
