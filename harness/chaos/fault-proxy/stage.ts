/**
 * The base of every toxic stage: one toxic acting on one direction of one connection (Toxiproxy's
 * ToxicStub), and what it can ask of the link that holds it.
 *
 * Toxicity is rolled once per connection and toxic when the toxic starts applying to it (new
 * connection, or toxic added to a live one) and again when the toxic is updated, as Toxiproxy's
 * `ToxicStub.Run` does; an unlucky roll makes the stage a pass-through.
 */
import type { Toxic } from '../toxiproxy-wire.ts'

export interface StageHost {
  /** hands a chunk on to whatever follows `from` in the chain */
  forward(from: Stage, chunk: Buffer): void
  /** hands the end of the stream on; `hard` closes the whole connection, not just this direction */
  forwardEnd(from: Stage, hard: boolean): void
  /** bytes a toxic swallowed (backpressure accounting) */
  dropped(bytes: number): void
  /** TCP RST to both sides */
  reset(): void
}

const roll = (toxicity: number): boolean => Math.random() < toxicity

export abstract class Stage {
  readonly host: StageHost
  /** shared with the proxy: updates change attributes in place */
  readonly toxic: Toxic
  active: boolean
  /** set by the link once the end of the stream was handed to this stage */
  ended = false
  protected disposed = false

  constructor(host: StageHost, toxic: Toxic) {
    this.host = host
    this.toxic = toxic
    this.active = roll(toxic.toxicity)
  }

  abstract write(chunk: Buffer): void
  abstract end(hard: boolean): void
  /** the toxic was removed: release everything held, in order */
  abstract heal(): void

  /** the toxic was updated: Toxiproxy restarts the stub, which rolls toxicity again */
  update(): void {
    const was = this.active
    this.active = roll(this.toxic.toxicity)
    this.onUpdate(was)
  }

  protected onUpdate(_wasActive: boolean): void {}

  dispose(): void {
    this.disposed = true
  }
}
