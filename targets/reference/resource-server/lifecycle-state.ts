/**
 * What one resource-server replica knows about token lifecycle, as pushed by the authorization
 * server before it answers the revocation, deletion or key retirement (so "stops working" means at
 * once, on every replica): revoked jtis, offboarded clients, retired signing kids. The authorizer
 * consults it on every call after the token verifies (verified tokens are cached, so a check at
 * verification time alone would miss them). A replica that starts pulls a snapshot from the AS first.
 *
 * @example
 * const lifecycle = new LifecycleState({ secret, refreshKeys: () => jwks.refresh() })
 * await lifecycle.syncFrom(config.issuer)        // before the replica reports ready
 * const dead = lifecycle.check(token, claims)   // null, or why the token no longer works
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { request } from 'undici'
import { isLoopback, readBody, sendJson, singleHeader } from '../shared/http-io.ts'
import { LIFECYCLE_PATH, parseLifecycleBody, type LifecycleEvent } from '../shared/lifecycle-events.ts'
import type { AccessClaims } from './access-token-verifier.ts'

export interface LifecycleDenial {
  reason: 'token.revoked' | 'client.offboarded' | 'token.key_retired'
  description: string
  detail: Record<string, unknown>
}

export interface LifecycleStateOptions {
  /** shared with the AS; null disables the push endpoint (nothing can be pushed) */
  secret: string | null
  /** refetch the AS JWKS (on `key.added`, so a rotated key is known before tokens carry it) */
  refreshKeys?: () => Promise<void>
  /** seconds a revoked jti is kept after its exp (covers the verifier's exp leeway) */
  keepAfterExpS?: number
  now?: () => number
}

const MAX_BODY = 32 * 1024 * 1024
const SWEEP_INTERVAL_MS = 5_000

function hashOf(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** `kid` of a compact JWS header without verifying anything (the token already verified). */
function headerKid(token: string): string | null {
  const dot = token.indexOf('.')
  if (dot <= 0) return null
  try {
    const kid = (JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as { kid?: unknown }).kid
    return typeof kid === 'string' ? kid : null
  } catch {
    return null
  }
}

export class LifecycleState {
  readonly #secret: string | null
  readonly #secretHash: Buffer | null
  readonly #refreshKeys: () => Promise<void>
  readonly #keepAfterExpS: number
  readonly #now: () => number
  readonly #revoked = new Map<string, { exp: number; at: string }>()
  readonly #offboarded = new Map<string, string>()
  readonly #retired = new Map<string, string>()
  #lastSweep = 0

  constructor(options: LifecycleStateOptions) {
    this.#secret = options.secret
    this.#secretHash = options.secret === null ? null : hashOf(options.secret)
    this.#refreshKeys = options.refreshKeys ?? (async () => {})
    this.#keepAfterExpS = options.keepAfterExpS ?? 60
    this.#now = options.now ?? Date.now
  }

  /** Why a verified token no longer works, or null. Cheap when nothing was revoked or retired. */
  check(token: string, claims: AccessClaims): LifecycleDenial | null {
    if (this.#retired.size > 0) {
      const kid = headerKid(token)
      const at = kid === null ? undefined : this.#retired.get(kid)
      if (at !== undefined) return { reason: 'token.key_retired', description: 'the token was signed with a retired key', detail: { kid, retired_at: at } }
    }
    if (this.#revoked.size > 0) {
      const r = this.#revoked.get(claims.jti)
      if (r !== undefined) return { reason: 'token.revoked', description: 'the token was revoked', detail: { revoked_at: r.at } }
    }
    if (this.#offboarded.size > 0) {
      for (const id of [claims.client_id, ...claims.actors]) {
        const at = this.#offboarded.get(id)
        if (at !== undefined) {
          return { reason: 'client.offboarded', description: 'a client in this token\'s delegation chain was offboarded', detail: { offboarded_client: id, offboarded_at: at } }
        }
      }
    }
    return null
  }

  /** Applies events; resolves once a `key.added` refetch is done (rejects when it fails). */
  async apply(events: readonly LifecycleEvent[]): Promise<void> {
    let refetch = false
    if (this.#now() - this.#lastSweep > SWEEP_INTERVAL_MS) this.#sweep()
    for (const e of events) {
      if (e.type === 'token.revoked') this.#revoked.set(e.jti, { exp: e.exp, at: e.at })
      else if (e.type === 'client.offboarded') this.#offboarded.set(e.client_id, e.at)
      else if (e.type === 'key.retired') this.#retired.set(e.kid, e.at)
      else refetch = true
    }
    if (refetch) await this.#refreshKeys()
  }

  /** Pulls the AS's current lifecycle state (a replica calls this before it reports ready). */
  async syncFrom(asUrl: string): Promise<void> {
    if (this.#secret === null) return
    const res = await request(`${asUrl}${LIFECYCLE_PATH}`, { headers: { authorization: `Bearer ${this.#secret}` }, headersTimeout: 3_000, bodyTimeout: 10_000 })
    const body: unknown = await res.body.json().catch(() => null)
    const events = res.statusCode === 200 ? parseLifecycleBody(body) : null
    if (events === null) throw new Error(`lifecycle snapshot from ${asUrl} unusable (HTTP ${res.statusCode})`)
    await this.apply(events)
  }

  /**
   * `POST /internal/lifecycle`, on the replica's internal listener only (internal-server.ts): loopback
   * peers with the shared secret only; 204 once applied.
   */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const authz = singleHeader(req, 'authorization')
    const bearer = typeof authz === 'string' ? /^Bearer +(\S+)$/i.exec(authz) : null
    const refusal: [number, string] | null =
      req.method !== 'POST' ? [405, 'method_not_allowed']
      : !isLoopback(req) ? [403, 'forbidden']
      : this.#secretHash === null || bearer === null || !timingSafeEqual(hashOf(bearer[1]), this.#secretHash) ? [401, 'invalid_token']
      : null
    if (refusal !== null) {
      req.resume()
      return sendJson(res, refusal[0], { error: refusal[1] }, refusal[0] === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {})
    }
    readBody(req, MAX_BODY)
      .then(async (raw) => {
        let parsed: unknown = null
        try {
          parsed = JSON.parse(raw.toString('utf8'))
        } catch {
          // refused below
        }
        const events = parseLifecycleBody(parsed)
        if (events === null) return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be {"events": [...]} of known lifecycle events' })
        try {
          await this.apply(events)
        } catch (e) {
          return sendJson(res, 502, { error: 'jwks_refresh_failed', error_description: String(e) })
        }
        res.writeHead(204).end()
      })
      .catch(() => {
        if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request', error_description: 'body too large or unreadable' })
      })
  }

  get sizes(): { revoked: number; offboarded: number; retired: number } {
    return { revoked: this.#revoked.size, offboarded: this.#offboarded.size, retired: this.#retired.size }
  }

  /** Revoked jtis are forgotten once their token has expired anyway; the other sets stay small. */
  #sweep(): void {
    this.#lastSweep = this.#now()
    const limit = this.#lastSweep / 1000 - this.#keepAfterExpS
    for (const [jti, r] of this.#revoked) if (r.exp < limit) this.#revoked.delete(jti)
  }
}
