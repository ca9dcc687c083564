/**
 * One direction of one proxied connection (Toxiproxy's ToxicLink): bytes read from `source` pass
 * through the chain of stages, one per toxic on this stream in the order they were added, and are
 * written to `dest`. Toxics join the chain of live links when added and leave it when removed.
 *
 * The end of the stream travels the chain like data (so latency and slow_close act on it). A plain
 * end half-closes `dest`; a hard end (a timeout toxic closing the connection) ends and destroys it,
 * and the connection then ends the other direction too, as Toxiproxy's full Close does.
 *
 * Buffers are bounded: past HIGH_WATER bytes inside the chain or queued on `dest`, the link stops
 * reading `source` (TCP backpressure reaches the sender) until it is below LOW_WATER again.
 */
import type { Socket } from 'node:net'
import type { Stage, StageHost } from './stage.ts'
import { createStage } from './stages.ts'
import type { Toxic, ToxicStream } from '../toxiproxy-wire.ts'

const HIGH_WATER = 1024 * 1024
const LOW_WATER = 256 * 1024

export interface LinkOwner {
  /** RST both sockets and drop everything */
  reset(): void
  /** this link delivered the end of its stream to its destination */
  sinkEnded(link: Link, hard: boolean): void
}

export class Link implements StageHost {
  readonly direction: ToxicStream
  readonly #owner: LinkOwner
  readonly #source: Socket
  readonly #dest: Socket
  #stages: Stage[]
  #buffered = 0
  #paused = false
  #inputEnded = false
  #sinkEnded = false

  constructor(owner: LinkOwner, direction: ToxicStream, source: Socket, dest: Socket, toxics: readonly Toxic[]) {
    this.direction = direction
    this.#owner = owner
    this.#source = source
    this.#dest = dest
    this.#stages = toxics.map((t) => createStage(this, t))
    source.on('data', (chunk: Buffer) => this.#input(chunk))
    source.on('end', () => this.endInput(false))
    dest.on('drain', () => this.#maybeResume())
  }

  get ended(): boolean {
    return this.#sinkEnded
  }

  #input(chunk: Buffer): void {
    if (this.#inputEnded) return
    this.#buffered += chunk.length
    this.#deliver(0, chunk)
    if (!this.#paused && (this.#buffered > HIGH_WATER || this.#dest.writableLength > HIGH_WATER)) {
      this.#paused = true
      this.#source.pause()
    }
  }

  /** end of the source stream; `hard` when the other direction closed the connection */
  endInput(hard: boolean): void {
    if (this.#inputEnded) return
    this.#inputEnded = true
    this.#deliverEnd(0, hard)
  }

  #deliver(index: number, chunk: Buffer): void {
    const stage = this.#stages[index]
    if (stage === undefined) return this.#sinkWrite(chunk)
    if (stage.ended) return this.dropped(chunk.length)
    stage.write(chunk)
  }

  #deliverEnd(index: number, hard: boolean): void {
    const stage = this.#stages[index]
    if (stage === undefined) return this.#sinkEnd(hard)
    if (stage.ended) return
    stage.ended = true
    stage.end(hard)
  }

  #sinkWrite(chunk: Buffer): void {
    this.#buffered -= chunk.length
    if (!this.#sinkEnded && !this.#dest.destroyed) this.#dest.write(chunk)
    this.#maybeResume()
  }

  #sinkEnd(hard: boolean): void {
    if (this.#sinkEnded) return
    this.#sinkEnded = true
    const dest = this.#dest
    if (!dest.destroyed) {
      if (hard) dest.end(() => dest.destroy())
      else dest.end()
    }
    this.#owner.sinkEnded(this, hard)
  }

  #maybeResume(): void {
    if (!this.#paused || this.#buffered > LOW_WATER || this.#dest.writableLength > LOW_WATER) return
    this.#paused = false
    if (!this.#inputEnded && !this.#source.destroyed) this.#source.resume()
  }

  // StageHost
  forward(from: Stage, chunk: Buffer): void {
    const i = this.#stages.indexOf(from)
    if (i < 0) return this.dropped(chunk.length)
    this.#deliver(i + 1, chunk)
  }

  forwardEnd(from: Stage, hard: boolean): void {
    const i = this.#stages.indexOf(from)
    if (i >= 0) this.#deliverEnd(i + 1, hard)
  }

  dropped(bytes: number): void {
    this.#buffered -= bytes
    this.#maybeResume()
  }

  reset(): void {
    this.#owner.reset()
  }

  // toxics coming and going
  addToxic(toxic: Toxic): void {
    this.#stages.push(createStage(this, toxic))
  }

  removeToxic(toxic: Toxic): void {
    const stage = this.#stages.find((s) => s.toxic === toxic)
    if (stage === undefined) return
    stage.heal()
    const i = this.#stages.indexOf(stage)
    if (i >= 0) this.#stages.splice(i, 1)
    stage.dispose()
  }

  updateToxic(toxic: Toxic): void {
    this.#stages.find((s) => s.toxic === toxic)?.update()
  }

  dispose(): void {
    for (const stage of this.#stages) stage.dispose()
    this.#stages = []
  }
}
