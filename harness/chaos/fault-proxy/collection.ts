/**
 * All proxies of one fault-proxy process (Toxiproxy's ProxyCollection), with Toxiproxy's create,
 * update and reset semantics (api.go ProxyCreate / ProxyUpdate / ResetState, proxy.go Update).
 */
import { ApiError, badBody, missingField, proxyExists, proxyNotFound } from './toxics.ts'
import { loopbackAddress, Proxy } from './proxy.ts'

const MAX_PROXIES = 1_000

interface ProxyFields {
  name?: unknown
  listen?: unknown
  upstream?: unknown
  enabled?: unknown
}

function fields(body: unknown): ProxyFields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badBody('expected a JSON object')
  const f = body as ProxyFields
  for (const k of ['name', 'listen', 'upstream'] as const) {
    if (f[k] !== undefined && typeof f[k] !== 'string') throw badBody(`${k} must be a string`)
  }
  if (f.enabled !== undefined && typeof f.enabled !== 'boolean') throw badBody('enabled must be a boolean')
  return f
}

export class ProxyCollection {
  readonly #proxies = new Map<string, Proxy>()

  list(): Proxy[] {
    return [...this.#proxies.values()]
  }

  get(name: string): Proxy {
    const p = this.#proxies.get(name)
    if (p === undefined) throw proxyNotFound()
    return p
  }

  /** POST /proxies: `enabled` defaults to true; `listen` to 127.0.0.1:0 (Toxiproxy's empty listen means all interfaces) */
  async create(body: unknown): Promise<Proxy> {
    const f = fields(body)
    const name = (f.name as string | undefined) ?? ''
    const upstream = (f.upstream as string | undefined) ?? ''
    if (name === '') throw missingField('name')
    if (upstream === '') throw missingField('upstream')
    const listen = (f.listen as string | undefined) || '127.0.0.1:0'
    loopbackAddress('listen', listen)
    loopbackAddress('upstream', upstream)
    if (this.#proxies.has(name)) throw proxyExists()
    if (this.#proxies.size >= MAX_PROXIES) throw badBody(`at most ${MAX_PROXIES} proxies`)
    const proxy = new Proxy(name, listen, upstream)
    this.#proxies.set(name, proxy) // reserve the name while listening
    try {
      if (f.enabled !== false) await proxy.start()
    } catch (e) {
      this.#proxies.delete(name)
      throw e
    }
    return proxy
  }

  /** POST|PATCH /proxies/{proxy}: a new listen or upstream restarts it (dropping its connections) */
  async update(name: string, body: unknown): Promise<Proxy> {
    const proxy = this.get(name)
    const f = fields(body)
    const listen = (f.listen as string | undefined) ?? proxy.listen
    const upstream = (f.upstream as string | undefined) ?? proxy.upstream
    const enabled = (f.enabled as boolean | undefined) ?? proxy.enabled
    loopbackAddress('listen', listen)
    loopbackAddress('upstream', upstream)
    if (listen !== proxy.listen || upstream !== proxy.upstream) {
      proxy.stop()
      proxy.listen = listen
      proxy.upstream = upstream
    }
    if (enabled !== proxy.enabled) {
      if (enabled) await proxy.start()
      else proxy.stop()
    }
    return proxy
  }

  remove(name: string): void {
    const proxy = this.get(name)
    proxy.stop()
    this.#proxies.delete(name)
  }

  /** POST /reset: every proxy enabled again and every toxic removed */
  async reset(): Promise<void> {
    let failure: ApiError | null = null
    for (const proxy of this.list()) {
      try {
        await proxy.start()
      } catch (e) {
        failure ??= e instanceof ApiError ? e : new ApiError(String(e), 500)
      }
      proxy.resetToxics()
    }
    if (failure !== null) throw failure
  }

  closeAll(): void {
    for (const proxy of this.list()) {
      proxy.resetToxics()
      proxy.stop()
    }
    this.#proxies.clear()
  }
}
