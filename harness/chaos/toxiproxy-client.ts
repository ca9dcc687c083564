/**
 * Driver for Toxiproxy's HTTP API (Shopify/toxiproxy README "HTTP API"): the same calls drive the
 * built-in fault proxy (./start-fault-proxy.ts) and a user's own Toxiproxy. Loopback only: the API
 * URL, every proxy's `listen` and `upstream` must be on this machine (docs/architecture.md, Safety), checked
 * here before anything is sent and again at connect time.
 *
 * @example
 *   const toxiproxy = new ToxiproxyClient('http://127.0.0.1:8474')
 *   const proxy = await toxiproxy.createProxy({ name: 'gatecrash_jwks', upstream: '127.0.0.1:9000' })
 *   proxy.listen // '127.0.0.1:41234': the port the proxy picked
 *   await toxiproxy.addToxic('gatecrash_jwks', toxicForFault(Fault.latency({ component: 'jwks', ms: 800, at: '20s', for: '10s' })))
 *   await toxiproxy.removeToxic('gatecrash_jwks', 'latency_downstream') // heals at once
 */
import { Agent, request } from 'undici'
import type { Dispatcher } from 'undici'
import { HarnessError, TargetUnsafe, type HarnessErrorOptions } from '../contracts/errors.ts'
import { assertLoopback, isLoopbackAddress, loopbackOnlyLookup } from '../protocol/http.ts'
import type { CreateProxyInput, ProxyInfo as WireProxyInfo, Toxic as WireToxic, ToxicInput, ToxicStream, ToxicType } from './toxiproxy-wire.ts'
import type { BandwidthFault, BlackholeFault, LatencyFault, ResetFault, SlowCloseFault } from './fault.ts'

/** A fault could not be injected, healed or inspected: the fault proxy (or Toxiproxy) refused or did not answer. */
export class FaultInjectionFailed extends HarnessError {
  static override code = 'ERR_FAULT_INJECTION_FAILED'
  override code = 'ERR_FAULT_INJECTION_FAILED'
  /** the API's HTTP status, when it answered */
  status?: number
  constructor(message: string, options: HarnessErrorOptions & { status?: number } = {}) {
    super(message, options)
    this.status = options.status
  }
}

export type { CreateProxyInput, ToxicInput, ToxicStream, ToxicType }
/** what a Toxiproxy may report: toxic types beyond the ones gatecrash sets */
export type Toxic = WireToxic<ToxicType | (string & {})>
export type ProxyInfo = WireProxyInfo<ToxicType | (string & {})>

const UNSAFE_HINT = 'fault proxies only listen on and forward to loopback addresses (127.0.0.0/8, [::1], localhost)'

/** `host:port` of a URL or of `host:port` itself; refuses anything that is not loopback */
export function loopbackHostPort(address: string, field = 'address'): string {
  const url = assertLoopback(address.includes('://') ? address : `http://${address}`)
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80'
  if (!/^\d+$/.test(port)) throw new TargetUnsafe(`${field} ${address} has no port`, { hint: UNSAFE_HINT })
  return `${url.hostname}:${port}`
}

/** The toxic for a link fault of a scenario (harness/chaos/fault.ts), Toxiproxy's name for it included. */
export function toxicForFault(fault: LatencyFault | BandwidthFault | ResetFault | BlackholeFault | SlowCloseFault): ToxicInput {
  const common = { stream: fault.stream ?? 'downstream', toxicity: fault.probability ?? 1 }
  switch (fault.kind) {
    case 'latency':
      return { type: 'latency', ...common, attributes: { latency: Math.round(fault.ms), jitter: Math.round(fault.jitterMs ?? 0) } }
    case 'bandwidth':
      return { type: 'bandwidth', ...common, attributes: { rate: Math.round(fault.rate) } }
    case 'reset':
      return { type: 'reset_peer', ...common, attributes: { timeout: Math.round(fault.afterMs ?? 0) } }
    case 'blackhole':
      return { type: 'timeout', ...common, attributes: { timeout: Math.round(fault.closeAfterMs ?? 0) } }
    case 'slow-close':
      return { type: 'slow_close', ...common, attributes: { delay: Math.round(fault.delayMs) } }
  }
}

const seg = encodeURIComponent

export class ToxiproxyClient {
  /** the API's base URL, without a trailing slash */
  readonly url: string
  readonly #timeoutMs: number
  readonly #dispatcher = new Agent({ connect: { lookup: loopbackOnlyLookup as never }, keepAliveTimeout: 2_000 })

  constructor(url: string, options: { timeoutMs?: number } = {}) {
    this.url = assertLoopback(url).origin
    this.#timeoutMs = options.timeoutMs ?? 10_000
  }

  async version(): Promise<string> {
    const body = await this.#call('GET', '/version', undefined, [200])
    return typeof body === 'object' && body !== null && 'version' in body ? String(body.version) : String(body).trim()
  }

  /** every proxy by name, with its toxics */
  async list(): Promise<Record<string, ProxyInfo>> {
    return (await this.#call('GET', '/proxies', undefined, [200])) as Record<string, ProxyInfo>
  }

  async get(name: string): Promise<ProxyInfo> {
    return (await this.#call('GET', `/proxies/${seg(name)}`, undefined, [200])) as ProxyInfo
  }

  /** creates and enables a proxy; the answer's `listen` is the address actually bound */
  async createProxy(input: CreateProxyInput): Promise<ProxyInfo> {
    const body = {
      name: input.name,
      listen: loopbackHostPort(input.listen ?? '127.0.0.1:0', 'listen'),
      upstream: loopbackHostPort(input.upstream, 'upstream'),
      enabled: input.enabled ?? true,
    }
    return (await this.#call('POST', '/proxies', body, [201])) as ProxyInfo
  }

  /** enable/disable (disabling closes the listener and every connection), or move listen/upstream */
  async updateProxy(name: string, patch: { enabled?: boolean; listen?: string; upstream?: string }): Promise<ProxyInfo> {
    const body: Record<string, unknown> = {}
    if (patch.enabled !== undefined) body.enabled = patch.enabled
    if (patch.listen !== undefined) body.listen = loopbackHostPort(patch.listen, 'listen')
    if (patch.upstream !== undefined) body.upstream = loopbackHostPort(patch.upstream, 'upstream')
    return (await this.#call('POST', `/proxies/${seg(name)}`, body, [200])) as ProxyInfo
  }

  async deleteProxy(name: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${seg(name)}`, undefined, [204])
  }

  async toxics(proxy: string): Promise<Toxic[]> {
    return (await this.#call('GET', `/proxies/${seg(proxy)}/toxics`, undefined, [200])) as Toxic[]
  }

  /** applies at once to the proxy's live connections and to every new one */
  async addToxic(proxy: string, toxic: ToxicInput): Promise<Toxic> {
    return (await this.#call('POST', `/proxies/${seg(proxy)}/toxics`, toxic, [200])) as Toxic
  }

  async updateToxic(proxy: string, name: string, patch: { toxicity?: number; attributes?: Record<string, number> }): Promise<Toxic> {
    return (await this.#call('POST', `/proxies/${seg(proxy)}/toxics/${seg(name)}`, patch, [200])) as Toxic
  }

  /** heals at once: data the toxic held goes through (a blackhole's connections are closed, as Toxiproxy does) */
  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${seg(proxy)}/toxics/${seg(name)}`, undefined, [204])
  }

  /** removes every toxic and enables every proxy again */
  async reset(): Promise<void> {
    await this.#call('POST', '/reset', undefined, [204])
  }

  /** deletes the proxies whose names start with `prefix` (a killed harness's leftovers in a user's Toxiproxy) */
  async removeProxies(prefix: string): Promise<string[]> {
    if (prefix === '') throw new TypeError('removeProxies needs a non-empty prefix')
    const names = Object.keys(await this.list()).filter((n) => n.startsWith(prefix))
    for (const name of names) await this.deleteProxy(name)
    return names
  }

  /**
   * Puts a proxy named `name` in front of `upstreamUrl` and returns the URL to use instead (same
   * scheme and path, the proxy's address): the shape of a target adapter's `proxy(link, upstream)`
   * hook. A leftover proxy of that name (from a killed run) is replaced.
   */
  async proxyUrl(name: string, upstreamUrl: string): Promise<string> {
    const upstream = loopbackHostPort(upstreamUrl, 'upstream')
    let proxy: ProxyInfo
    try {
      proxy = await this.createProxy({ name, upstream })
    } catch (e) {
      if (!(e instanceof FaultInjectionFailed) || e.status !== 409) throw e
      await this.deleteProxy(name)
      proxy = await this.createProxy({ name, upstream })
    }
    const url = new URL(upstreamUrl.includes('://') ? upstreamUrl : `http://${upstreamUrl}`)
    const listen = /^(.*):(\d+)$/.exec(proxy.listen)
    if (listen === null) throw new FaultInjectionFailed(`proxy ${name} reported listen ${proxy.listen}`)
    const host = listen[1].replace(/^\[|\]$/g, '')
    if (host !== 'localhost' && !isLoopbackAddress(host)) throw new TargetUnsafe(`proxy ${name} listens on non-loopback ${host}`, { hint: UNSAFE_HINT })
    url.hostname = host.includes(':') ? `[${host}]` : host
    url.port = listen[2]
    if (!upstreamUrl.includes('://')) return `${url.hostname}:${url.port}`
    // keep the caller's form: WHATWG URL adds a '/' path to a bare origin
    const bareOrigin = url.pathname === '/' && url.search === '' && url.hash === '' && !upstreamUrl.endsWith('/')
    return bareOrigin ? url.href.slice(0, -1) : url.href
  }

  async close(): Promise<void> {
    await this.#dispatcher.close()
  }

  async #call(method: Dispatcher.HttpMethod, path: string, body: unknown, expect: number[]): Promise<unknown> {
    let status: number
    let text: string
    try {
      const res = await request(`${this.url}${path}`, {
        method,
        dispatcher: this.#dispatcher,
        headers: { 'user-agent': 'gatecrash-toxiproxy-client', 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      status = res.statusCode
      text = await res.body.text()
    } catch (cause) {
      throw new FaultInjectionFailed(`${method} ${this.url}${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {
        cause,
        hint: `Is the fault proxy (or Toxiproxy) still answering at ${this.url}?`,
      })
    }
    let parsed: unknown = text
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      // not JSON: keep the text (Toxiproxy's 404/405 pages are plain text)
    }
    if (!expect.includes(status)) {
      const why = typeof parsed === 'object' && parsed !== null && 'error' in parsed ? String(parsed.error) : text.trim()
      throw new FaultInjectionFailed(`${method} ${path} answered ${status}: ${why}`, {
        status,
        hint: `the fault proxy at ${this.url} refused the call; a 404 names a proxy or toxic that does not exist (any more), a 409 one that already does`,
      })
    }
    return parsed
  }
}
