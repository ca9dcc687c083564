/**
 * One named proxy (Toxiproxy's Proxy): a loopback TCP listener, its live connections and its
 * toxics. Its JSON is Toxiproxy's: `{ name, listen, upstream, enabled, toxics }`, where `listen`
 * is the address actually bound (port 0 becomes the port the system picked, and a re-enabled
 * proxy binds that same port again).
 */
import { createServer, type AddressInfo, type Server } from 'node:net'
import { formatHostPort, isLoopbackHost, parseHostPort, type HostPort } from './address.ts'
import { Connection } from './connection.ts'
import type { ProxyInfo, Toxic } from '../toxiproxy-wire.ts'
import { ApiError, parseNewToxic, parseToxicUpdate, toxicNotFound, badBody } from './toxics.ts'

/** bounds that keep a runaway client from exhausting the process */
const MAX_TOXICS = 64
const MAX_CONNECTIONS = 10_000

/** a loopback `host:port`, or a 400 naming the field */
export function loopbackAddress(field: 'listen' | 'upstream', value: string): HostPort {
  const hp = parseHostPort(value)
  if (hp === null) throw badBody(`${field} must be host:port`)
  if (!isLoopbackHost(hp.host)) throw badBody(`${field} must be a loopback address (127.0.0.0/8, [::1] or localhost), not ${hp.host}`)
  return hp
}

export class Proxy {
  readonly name: string
  listen: string
  upstream: string
  enabled = false
  #toxics: Toxic[] = []
  #server: Server | null = null
  readonly #connections = new Set<Connection>()

  constructor(name: string, listen: string, upstream: string) {
    this.name = name
    this.listen = listen
    this.upstream = upstream
  }

  /** listens; rejects with a 500 ApiError carrying the system's reason (port taken, …) */
  async start(): Promise<void> {
    if (this.enabled) return
    const at = loopbackAddress('listen', this.listen)
    const target = loopbackAddress('upstream', this.upstream)
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => {
      const conn: Connection = new Connection(socket, target, () => this.#toxics, () => this.#connections.delete(conn))
      this.#connections.add(conn)
    })
    server.maxConnections = MAX_CONNECTIONS
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new ApiError(`listen tcp ${this.listen}: ${e.message}`, 500)))
      server.listen({ host: at.host, port: at.port, exclusive: true }, () => resolve())
    })
    server.on('error', () => {})
    const bound = server.address() as AddressInfo
    if (!isLoopbackHost(bound.address)) {
      server.close()
      throw new ApiError(`listen tcp ${this.listen}: bound to non-loopback ${bound.address}`, 500)
    }
    this.listen = formatHostPort(bound.address, bound.port)
    this.#server = server
    this.enabled = true
  }

  /** closes the listener and every connection through it */
  stop(): void {
    if (!this.enabled) return
    this.enabled = false
    this.#server?.close()
    this.#server = null
    for (const conn of [...this.#connections]) conn.destroy()
    this.#connections.clear()
  }

  /** Toxiproxy lists the upstream chain first, then the downstream chain, each in the order added */
  toxics(): Toxic[] {
    return [...this.#toxics.filter((t) => t.stream === 'upstream'), ...this.#toxics.filter((t) => t.stream === 'downstream')]
  }

  toxic(name: string): Toxic {
    const t = this.#toxics.find((x) => x.name === name)
    if (t === undefined) throw toxicNotFound()
    return t
  }

  addToxic(body: unknown): Toxic {
    const toxic = parseNewToxic(body, (name) => this.#toxics.some((t) => t.name === name))
    if (this.#toxics.length >= MAX_TOXICS) throw badBody(`a proxy holds at most ${MAX_TOXICS} toxics`)
    this.#toxics.push(toxic)
    for (const conn of this.#connections) conn.addToxic(toxic)
    return toxic
  }

  updateToxic(name: string, body: unknown): Toxic {
    const toxic = this.toxic(name)
    Object.assign(toxic, parseToxicUpdate(toxic, body))
    for (const conn of this.#connections) conn.updateToxic(toxic)
    return toxic
  }

  removeToxic(name: string): void {
    const toxic = this.toxic(name)
    this.#toxics = this.#toxics.filter((t) => t !== toxic)
    for (const conn of [...this.#connections]) conn.removeToxic(toxic)
  }

  resetToxics(): void {
    for (const t of this.toxics()) this.removeToxic(t.name)
  }

  toJSON(): ProxyInfo {
    return { name: this.name, listen: this.listen, upstream: this.upstream, enabled: this.enabled, toxics: this.toxics() }
  }
}
