/**
 * One accepted client connection and its upstream connection, joined by two links: `upstream`
 * (client → server) and `downstream` (server → client), Toxiproxy's stream names.
 *
 * Half-closes are relayed (a FIN from one side ends the other side's writing once the toxics let
 * it through); an error or RST on one socket resets the other; a hard end (timeout toxic) closes
 * both sides. The upstream is dialled only on loopback (the same lookup guard as the HTTP client).
 */
import { connect, type Socket } from 'node:net'
import { loopbackOnlyLookup } from '../../protocol/http.ts'
import type { HostPort } from './address.ts'
import { Link, type LinkOwner } from './link.ts'
import type { Toxic, ToxicStream } from '../toxiproxy-wire.ts'

export class Connection implements LinkOwner {
  readonly #client: Socket
  readonly #upstream: Socket
  #links: Link[] = []
  #closing = false
  #done = false
  readonly #onDone: () => void

  constructor(client: Socket, target: HostPort, toxics: () => readonly Toxic[], onDone: () => void) {
    this.#client = client
    this.#onDone = onDone
    // errors end in 'close' with hadError, handled there; without listeners they would throw
    client.on('error', () => {})
    client.on('close', (hadError) => this.#socketClosed(client, hadError))
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true, lookup: loopbackOnlyLookup as never })
    this.#upstream = upstream
    upstream.on('error', () => {})
    upstream.on('close', (hadError) => this.#socketClosed(upstream, hadError))
    upstream.once('connect', () => {
      if (this.#done || client.destroyed) return
      const all = toxics()
      const on = (stream: ToxicStream): Toxic[] => all.filter((t) => t.stream === stream)
      this.#links = [new Link(this, 'upstream', client, upstream, on('upstream')), new Link(this, 'downstream', upstream, client, on('downstream'))]
      client.resume() // accepted paused, so nothing was read before the links existed
    })
  }

  #link(stream: ToxicStream): Link | undefined {
    return this.#links.find((l) => l.direction === stream)
  }

  addToxic(toxic: Toxic): void {
    this.#link(toxic.stream)?.addToxic(toxic)
  }

  removeToxic(toxic: Toxic): void {
    this.#link(toxic.stream)?.removeToxic(toxic)
  }

  updateToxic(toxic: Toxic): void {
    this.#link(toxic.stream)?.updateToxic(toxic)
  }

  sinkEnded(link: Link, hard: boolean): void {
    if (!hard) return
    this.#closing = true
    for (const other of this.#links) if (other !== link) other.endInput(true)
  }

  /** reset_peer: RST on both sockets (SO_LINGER 0 in Toxiproxy) */
  reset(): void {
    if (this.#done) return
    for (const s of [this.#client, this.#upstream]) {
      if (s.destroyed) continue
      if (s.connecting || s.pending) s.destroy()
      else s.resetAndDestroy()
    }
    this.#finish()
  }

  /** the proxy was disabled or deleted: Toxiproxy closes every connection */
  destroy(): void {
    if (this.#done) return
    this.#client.destroy()
    this.#upstream.destroy()
    this.#finish()
  }

  #socketClosed(socket: Socket, hadError: boolean): void {
    const other = socket === this.#client ? this.#upstream : this.#client
    if (!other.destroyed) {
      if (this.#links.length === 0) other.destroy() // upstream unreachable, or the client left before it answered
      else if (hadError && !this.#closing) {
        if (other.connecting || other.pending) other.destroy()
        else other.resetAndDestroy()
      }
    }
    if (this.#client.destroyed && this.#upstream.destroyed) this.#finish()
  }

  #finish(): void {
    if (this.#done) return
    this.#done = true
    for (const link of this.#links) link.dispose()
    this.#onDone()
  }
}
