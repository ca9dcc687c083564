/**
 * The fault proxy in a run: started only when the scenario has link faults, it goes into exactly
 * the links those faults name (the adapter's `proxy(link, upstream)` hook returns the proxied URL
 * for those and the upstream itself for the rest), and takes toxics on them. `close()` heals every
 * toxic (`/reset`) and stops the proxy child.
 *
 * @example
 * ```ts
 * const links = await ProxyLinks.start({ links: ['jwks'], stateDir: '.gatecrash', log })
 * const target = await adapter.start({ ...options, proxy: links.proxy })
 * await links.add('jwks', { name: 'f1', type: 'latency', attributes: { latency: 800 } })
 * await links.close()
 * ```
 */
import { startFaultProxy, type StartedFaultProxy } from './start-fault-proxy.ts'
import type { ToxicDriver } from './toxics.ts'
import type { ToxicInput } from './toxiproxy-client.ts'

const proxyName = (link: string): string => `gatecrash_${link.replace(/[^\w-]/g, '_')}`

export class ProxyLinks implements ToxicDriver {
  readonly #proxy: StartedFaultProxy
  readonly #wanted: ReadonlySet<string>
  readonly #proxied = new Map<string, string>()
  readonly #log: (line: string) => void

  private constructor(proxy: StartedFaultProxy, wanted: ReadonlySet<string>, log: (line: string) => void) {
    this.#proxy = proxy
    this.#wanted = wanted
    this.#log = log
  }

  static async start(options: { links: Iterable<string>; stateDir: string; log: (line: string) => void }): Promise<ProxyLinks> {
    const proxy = await startFaultProxy({ stateDir: options.stateDir, log: options.log })
    return new ProxyLinks(proxy, new Set(options.links), options.log)
  }

  /** The adapter's `proxy` hook (an arrow, so it can be passed as is). */
  readonly proxy = async (link: string, upstream: string): Promise<string> => {
    if (!this.#wanted.has(link)) return upstream
    const url = await this.#proxy.client.proxyUrl(proxyName(link), upstream)
    this.#proxied.set(link, url)
    this.#log(`fault proxy: link ${link} ${upstream} → ${url}`)
    return url
  }

  links(): readonly string[] {
    return [...this.#proxied.keys()]
  }

  /** the links the scenario's faults name that the target never offered to the proxy */
  missing(): string[] {
    return [...this.#wanted].filter((l) => !this.#proxied.has(l))
  }

  async add(link: string, toxic: ToxicInput & { name: string }): Promise<void> {
    await this.#proxy.client.addToxic(proxyName(link), toxic)
  }

  async remove(link: string, name: string): Promise<void> {
    await this.#proxy.client.removeToxic(proxyName(link), name)
  }

  /** Heals every toxic, then stops the proxy. Idempotent; never throws. */
  async close(): Promise<void> {
    await this.#proxy.client.reset().catch((e: Error) => this.#log(`warning: fault proxy reset failed: ${e.message}`))
    await this.#proxy.stop().catch((e: Error) => this.#log(`warning: stopping the fault proxy failed: ${e.message}`))
  }
}
