/**
 * A TCP-level round-robin proxy: each new client connection goes to the next replica, and the two
 * sockets are piped. HTTP is not parsed, so headers reach the replica byte for byte (duplicate
 * `Authorization` or `DPoP` headers included), and requests on one keep-alive connection stay on
 * one replica while parallel connections spread over all of them. A replica that refuses the
 * connection is skipped (the next one is tried) before any byte is forwarded.
 */
import { connect, type Socket } from 'node:net'

interface Upstream {
  host: string
  port: number
}

function parseUpstream(url: string): Upstream {
  const u = new URL(url)
  if (u.protocol !== 'http:' || u.port === '') throw new TypeError(`upstream must be http://host:port, got ${url}`)
  return { host: u.hostname, port: Number(u.port) }
}

export class RoundRobinProxy {
  #upstreams: Upstream[] = []
  #next = 0

  /** Replaces the replica list (e.g. after a replica restarted on a new port); open connections stay. */
  setUpstreams(urls: readonly string[]): void {
    this.#upstreams = urls.map(parseUpstream)
    this.#next = 0
  }

  get upstreams(): number {
    return this.#upstreams.length
  }

  handle(client: Socket): void {
    client.setNoDelay(true)
    client.on('error', () => {}) // a reset by the client; 'close' follows and cleans up
    const n = this.#upstreams.length
    if (n === 0) {
      client.destroy()
      return
    }
    const first = this.#next
    this.#next = (this.#next + 1) % n
    this.#connect(client, first, 0)
  }

  #connect(client: Socket, index: number, tries: number): void {
    const list = this.#upstreams
    const target = list[index % list.length]
    const upstream = connect({ host: target.host, port: target.port, noDelay: true })
    const clientGone = (): void => void upstream.destroy()
    client.once('close', clientGone)
    const refused = (): void => {
      client.off('close', clientGone)
      upstream.destroy()
      if (client.destroyed) return
      if (tries + 1 < list.length) this.#connect(client, index + 1, tries + 1)
      else client.destroy()
    }
    upstream.once('error', refused)
    upstream.once('connect', () => {
      upstream.off('error', refused)
      upstream.on('error', () => client.destroy())
      // pipe() ends the other side when one side ends, flushing what is buffered first
      client.pipe(upstream)
      upstream.pipe(client)
    })
  }
}
