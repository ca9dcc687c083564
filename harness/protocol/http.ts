/**
 * A small undici request helper for calls off the hot path (discovery, registration, token
 * requests, admin hooks). The load path uses its own pool (harness/load/http1-pool.ts); never
 * `fetch` there.
 *
 * Safety (docs/architecture.md, Safety): every URL goes through a HostPolicy (./host-policy.ts)
 * before use and every connection through its `lookup` at connect time, so a name is judged by the
 * address actually dialled; loopback only unless a target profile lists a host. Redirects are never
 * followed (undici's `request` does not, and no redirect interceptor is installed), so a 3xx is
 * returned as is and cannot lead the helper anywhere unchecked.
 *
 * TLS: an `https:` URL is verified against the profile's CA file (`tls: { ca }`, ./tls-settings.ts)
 * or Node's and the system's roots; a failure is ERR_TARGET_TLS naming the origin and the CA file.
 *
 * Every call carries a fresh W3C `traceparent` and an `X-Request-Id`, returned with the response so
 * the caller can join the target's evidence to it.
 *
 * @example
 *   const res = await httpRequest('http://127.0.0.1:8080/token', { method: 'POST', form: { grant_type: 'client_credentials' } })
 *   res.status; res.body; res.traceId
 *   // a target profile's connection options, once, for every call to that target:
 *   const http = new HttpClient({ hosts: HostPolicy.fromProfile(profile.hosts), tls: profile.tls })
 *   await http.request('https://staging.example.internal/.well-known/oauth-authorization-server')
 */
import { randomUUID } from 'node:crypto'
import { Agent, request } from 'undici'
import type { Dispatcher } from 'undici'
import { TargetTlsFailed, TargetUnreachable } from '../contracts/errors.ts'
import type { TargetTlsOptions } from '../contracts/target.ts'
import { findUnsafe, HostPolicy } from './host-policy.ts'
import { randomHex } from './random-id.ts'
import { loadTls, tlsFailureKind, tlsFailureMessage } from './tls-settings.ts'

export { assertLoopback, isLoopbackAddress, loopbackOnlyLookup } from './host-policy.ts'

export const DEFAULT_TIMEOUT_MS = 10_000

export type HttpHeaders = Record<string, string | string[] | undefined>

export interface HttpRequestOptions {
  method?: string
  headers?: Record<string, string>
  /** sent as application/json */
  json?: unknown
  /** sent as application/x-www-form-urlencoded; undefined members are left out */
  form?: Record<string, string | undefined>
  timeoutMs?: number
  /** W3C trace-id (32 hex); fresh unless the caller correlates several calls */
  traceId?: string
  requestId?: string
}

export interface HttpResponse {
  url: string
  status: number
  headers: HttpHeaders
  /** parsed JSON when the response says it is JSON and parses; otherwise the text ('' when empty) */
  body: unknown
  text: string
  traceId: string
  requestId: string
}

/** How the helper connects: the same two options HttpPools takes. */
export interface HttpClientOptions {
  /** the host allowlist; HostPolicy.LOOPBACK by default */
  hosts?: HostPolicy
  /** the target profile's TLS option: `{ ca: '<path>' }` */
  tls?: TargetTlsOptions
}

/**
 * The helper bound to one target's connection options: one keep-alive undici Agent whose every
 * connection goes through the policy's lookup and trusts the profile's CA.
 */
export class HttpClient {
  readonly hosts: HostPolicy
  readonly tls: TargetTlsOptions | undefined
  #plain: Agent | null = null
  #tls: Agent | null = null

  constructor(options: HttpClientOptions = {}) {
    this.hosts = options.hosts ?? HostPolicy.LOOPBACK
    this.tls = options.tls
  }

  /**
   * The Agent for a URL of `protocol`: the policy's lookup on every connection, HTTP/1.1 only, and
   * for https the profile's trust (read on first https use, so a plain-http target never reads a
   * CA). For other undici calls that must obey the same rules.
   */
  dispatcher(protocol: string): Agent {
    if (protocol !== 'https:') return (this.#plain ??= new Agent({ allowH2: false, connect: { lookup: this.hosts.lookup as never } }))
    if (this.#tls === null) {
      const { secureContext } = loadTls(this.tls)
      this.#tls = new Agent({ allowH2: false, connect: { lookup: this.hosts.lookup as never, secureContext } as never })
    }
    return this.#tls
  }

  /** Checks `url` against the policy (throws ERR_TARGET_UNSAFE) and returns it parsed. */
  check(url: string | URL): URL {
    return this.hosts.checkUrl(url)
  }

  async request(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
    const target = this.hosts.checkUrl(url)
    const dispatcher = this.dispatcher(target.protocol)
    const traceId = opts.traceId ?? randomHex(16)
    const requestId = opts.requestId ?? randomUUID()
    const headers: Record<string, string> = {
      accept: 'application/json',
      traceparent: traceparentFor(traceId),
      'x-request-id': requestId,
      ...opts.headers,
    }
    let body: string | undefined
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(opts.json)
    } else if (opts.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      const form = new URLSearchParams()
      for (const [k, v] of Object.entries(opts.form)) if (v !== undefined) form.append(k, v)
      body = form.toString()
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    try {
      const res = await request(target, {
        method: (opts.method ?? (body === undefined ? 'GET' : 'POST')) as Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher,
        signal: AbortSignal.timeout(timeoutMs),
      })
      const text = await res.body.text()
      const contentType = String(res.headers['content-type'] ?? '')
      let parsed: unknown = text
      if (text !== '' && /[/+]json\b/i.test(contentType)) {
        try {
          parsed = JSON.parse(text)
        } catch {
          // a target sending broken JSON is a finding for the caller to judge, not a transport error
        }
      }
      return { url: target.href, status: res.statusCode, headers: res.headers, body: parsed, text, traceId, requestId }
    } catch (err) {
      throw this.transportError(err, target, `${opts.method ?? 'GET'} ${target.href}`, timeoutMs)
    }
  }

  /**
   * What a failed call throws: the policy's refusal as is (ERR_TARGET_UNSAFE), a TLS failure as
   * ERR_TARGET_TLS (origin and CA file named), anything else as ERR_TARGET_UNREACHABLE.
   */
  transportError(err: unknown, target: URL, what: string, timeoutMs: number): Error {
    const unsafe = findUnsafe(err)
    if (unsafe) return unsafe
    const tls = tlsErrorOf(err)
    if (tls !== null && target.protocol === 'https:') {
      const kind = tlsFailureKind(tls)!
      const { message, hint } = tlsFailureMessage(kind, target.origin, this.tls?.ca ?? null, (tls as NodeJS.ErrnoException).code ?? tls.message)
      return new TargetTlsFailed(`${what}: ${message}`, { cause: err, hint })
    }
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
    const why = timedOut ? `no response within ${timeoutMs} ms` : err instanceof Error ? err.message : String(err)
    if (timedOut && target.protocol === 'https:') {
      const { hint } = tlsFailureMessage('timeout', target.origin, this.tls?.ca ?? null, why)
      return new TargetUnreachable(`${what}: ${why}`, { cause: err, hint: `Is the target running and answering? A slow target needs a longer timeout. If nothing ever comes back: ${hint}` })
    }
    return new TargetUnreachable(`${what}: ${why}`, {
      cause: err,
      hint: 'Is the target running and listening on that port? For a slow target raise the timeout.',
    })
  }

  async close(): Promise<void> {
    await Promise.all([this.#plain?.close(), this.#tls?.close()])
  }
}

function tlsErrorOf(err: unknown): Error | null {
  for (let e = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++) if (tlsFailureKind(e) !== null) return e
  return null
}

/** Loopback only, Node's and the system's roots: the helper as gatecrash always had it. */
export const loopbackHttp = new HttpClient()

/** A W3C Trace Context `traceparent` (version 00, sampled) with a fresh parent-id. */
export function traceparentFor(traceId: string): string {
  return `00-${traceId}-${randomHex(8)}-01`
}

/**
 * One call through `client` (loopbackHttp unless a target profile's HttpClient is given): the
 * shape every off-hot-path caller uses.
 */
export function httpRequest(url: string, opts: HttpRequestOptions & { client?: HttpClient } = {}): Promise<HttpResponse> {
  return (opts.client ?? loopbackHttp).request(url, opts)
}

/** One header value as a string (repeated headers joined with ", ", as RFC 9110 §5.3 allows for lists). */
export function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()]
  return Array.isArray(v) ? v.join(', ') : v
}
