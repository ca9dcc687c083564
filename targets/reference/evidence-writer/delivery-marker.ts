/**
 * A writer's note to its successor: "I hold records the sink has not acknowledged". Written
 * synchronously when the writer's buffer goes from empty to non-empty (and again on each failed
 * delivery, and at shutdown), cleared when the buffer drains. A process killed with a non-empty
 * buffer leaves the note `pending`; the writer that starts next in its place (same component, same
 * data directory) reads it and records the gap (`system.evidence_gap`) as its first record.
 *
 * The note errs on the safe side: a process killed just after a delivery, before it cleared the
 * note, makes its successor record a gap that may hold no record at all (the detail says how much
 * is known). An unreadable note counts as pending.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface MarkerState {
  state: 'pending' | 'clean'
  /** hash of the last record the sink acknowledged (this writer's view of the sink head) */
  delivered: string | null
  /** ts of the oldest record not acknowledged when the note was written */
  since?: string
  /** records not acknowledged when the note was written */
  undelivered?: number
  /** true when written at shutdown: nothing was appended after it */
  final?: boolean
}

export class DeliveryMarker {
  readonly file: string
  readonly #log: (line: string) => void
  #failed = false

  constructor(dataDir: string, component: string, log: (line: string) => void) {
    mkdirSync(dataDir, { recursive: true })
    this.file = join(dataDir, `evidence-delivery.${component.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`)
    this.#log = log
  }

  /** The note a predecessor left; null when there is none. */
  read(): MarkerState | null {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
      return { state: 'pending', delivered: null }
    }
    try {
      const m = JSON.parse(text) as MarkerState
      if (m.state === 'clean' || m.state === 'pending') return m
    } catch {
      // a note torn by a kill mid-write: assume the worst
    }
    return { state: 'pending', delivered: null }
  }

  write(state: MarkerState): void {
    try {
      writeFileSync(this.file, JSON.stringify(state))
      this.#failed = false
    } catch (e) {
      if (!this.#failed) this.#log(`evidence delivery marker ${this.file} not written: ${String(e)}`)
      this.#failed = true
    }
  }
}
