/**
 * A small undici request helper for calls off the hot path (discovery, registration, token
 * requests, admin hooks). The load path uses its own pooled dispatcher; never `fetch` there.
 *
 * Safety (docs/architecture.md, Safety): gatecrash is an attack tool, so this layer refuses any URL whose host
 * is not loopback (127.0.0.0/8, ::1, `localhost`), checks the address `localhost` resolves to at
 * connect time as well, and never follows redirects (undici's `request` does not, and no redirect
 * interceptor is installed), so a 3xx cannot lead it off the box.
 *
 * Every call carries a fresh W3C `traceparent` and an `X-Request-Id`, returned with the response so
 * the caller can join the target's evidence to it.
 *
 * @example
 *   const res = await httpRequest('http://127.0.0.1:8080/token', { method: 'POST', form: { grant_type: 'client_credentials' } })
 *   res.status; res.body; res.traceId
 */
import { lookup as dnsLookup } from 'node:dns'
import type { LookupAddress, LookupOptions } from 'node:dns'
import { isIPv4, isIPv6 } from 'node:net'
import { randomUUID } from 'node:crypto'
import { Agent, request } from 'undici'
import type { Dispatcher } from 'undici'
import { TargetUnreachable, TargetUnsafe } from '../contracts/errors.ts'
import { randomHex } from './random-id.ts'

export const DEFAULT_TIMEOUT_MS = 10_000

const ALLOWLIST_HINT =
  'gatecrash only talks to loopback targets: hosts 127.0.0.0/8, [::1] and localhost. ' +
  'Start the target on this machine, or name another host in a target profile with an explicit acknowledgement.'

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

/** An IP address (as resolved) inside the loopback allowlist, IPv4-mapped IPv6 included. */
export function isLoopbackAddress(address: string): boolean {
  if (isIPv4(address)) return address.split('.')[0] === '127'
  if (isIPv6(address)) {
    const a = address.toLowerCase()
    if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)
    return mapped !== null && isLoopbackAddress(mapped[1])
  }
  return false
}

/**
 * Parses `url` and refuses it unless its host is allowlisted. WHATWG URL parsing normalises
 * shorthand and hex IPv4 (`127.1`, `0x7f.0.0.1` → `127.0.0.1`) and lower-cases names, so the
 * check sees the address that will actually be dialled.
 */
export function assertLoopback(url: string | URL): URL {
  let parsed: URL
  try {
    parsed = typeof url === 'string' ? new URL(url) : url
  } catch (cause) {
    throw new TargetUnsafe(`refusing malformed URL ${JSON.stringify(String(url))}`, { cause, hint: ALLOWLIST_HINT })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TargetUnsafe(`refusing ${parsed.protocol} URL ${parsed.href}: only http and https`, { hint: ALLOWLIST_HINT })
  }
  const host = parsed.hostname
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (host !== 'localhost' && !isLoopbackAddress(bare)) {
    throw new TargetUnsafe(`refusing non-loopback host ${host} (${parsed.origin})`, { hint: ALLOWLIST_HINT })
  }
  return parsed
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * Connect-time check: `localhost` is allowlisted by name, so what it resolves to must be loopback
 * too. Exported so other undici dispatchers (the load path's pools) can install the same guard:
 * `new Pool(origin, { connect: { lookup: loopbackOnlyLookup } })`.
 */
export function loopbackOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, [])
    const bad = addresses.find((a) => !isLoopbackAddress(a.address))
    if (bad) {
      const refusal = new TargetUnsafe(`refusing ${hostname}: it resolves to non-loopback ${bad.address}`, { hint: ALLOWLIST_HINT })
      return callback(refusal as NodeJS.ErrnoException, [])
    }
    if (options.all) return callback(null, addresses)
    callback(null, addresses[0].address, addresses[0].family)
  })
}

// One keep-alive dispatcher for all off-hot-path calls; its lookup enforces the allowlist at connect time.
const dispatcher = new Agent({ connect: { lookup: loopbackOnlyLookup as never } })

/** A W3C Trace Context `traceparent` (version 00, sampled) with a fresh parent-id. */
export function traceparentFor(traceId: string): string {
  return `00-${traceId}-${randomHex(8)}-01`
}

export async function httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const target = assertLoopback(url)
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
    const unsafe = findUnsafe(err)
    if (unsafe) throw unsafe
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
    const why = timedOut ? `no response within ${timeoutMs} ms` : err instanceof Error ? err.message : String(err)
    throw new TargetUnreachable(`${opts.method ?? 'GET'} ${target.href}: ${why}`, {
      cause: err,
      hint: 'Is the target running and listening on that port? For a slow target raise the timeout.',
    })
  }
}

/** undici may wrap the lookup's refusal; dig it out so callers see ERR_TARGET_UNSAFE, not a network error. */
function findUnsafe(err: unknown): TargetUnsafe | null {
  for (let e = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++) if (e instanceof TargetUnsafe) return e
  return null
}

/** One header value as a string (repeated headers joined with ", ", as RFC 9110 §5.3 allows for lists). */
export function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()]
  return Array.isArray(v) ? v.join(', ') : v
}
