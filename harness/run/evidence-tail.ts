/**
 * Follows the target's evidence while the run measures: each poll reads the records after the last
 * cursor and hands them on (to the run store, so the join at the end only reads what arrived after
 * the last poll, and to the live progress line, which turns them into an evidence lag).
 *
 * After each poll it samples the source's chain heads (where the source keeps any), so the grader
 * can check that every later chain extends every head seen (evidence/integrity.ts).
 *
 * A poll that fails (the sink is down: a chaos window may do exactly that) is counted and retried
 * at the next tick; it never fails the run. The final read in finalize.ts decides what is graded.
 * Each stretch of failed polls is kept as an outage (from the first failure to the next success),
 * which the report shows: a source that went away mid-run is a fault of the run, and what was read
 * before it stays in the store.
 */
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads, EvidenceProblems, EvidenceSource } from '../contracts/evidence-source.ts'

export interface EvidenceTailOptions {
  source: EvidenceSource
  /** where the run's records begin (what provisioning wrote is before it) */
  cursor: string | null
  /** each page of new records, in delivery order, with the time it was read */
  onRecords(records: EvidenceRecord[], readAt: number): void
  /** the source's heads, sampled after each poll's pages were handed on */
  onHeads?(heads: ChainHeads, at: number): void
  /** what a mapping source could not map on each page handed on (dropped with its page at stop()) */
  onProblems?(problems: EvidenceProblems): void
  intervalMs?: number
  /** longest stop() waits for a poll in flight (a paused sink can hold a request for many seconds) */
  stopWaitMs?: number
}

/** A stretch of failed polls: from the first failure to the next poll that succeeded (null: still failing at stop()). */
export interface EvidenceOutage {
  from: number
  to: number | null
  polls: number
  /** the first failure's message (the source's own: never a credential) */
  error: string
}

export class EvidenceTail {
  #cursor: string | null
  #stopped = false
  #polling: Promise<void> | null = null
  #timer: NodeJS.Timeout | null = null
  readonly #options: EvidenceTailOptions
  /** records handed on */
  records = 0
  /** polls that failed (sink unreachable) */
  failures = 0
  /** polls that succeeded */
  successes = 0
  /** the last failed poll's error, until a poll succeeds */
  lastError: Error | null = null
  readonly outages: EvidenceOutage[] = []

  constructor(options: EvidenceTailOptions) {
    this.#options = options
    this.#cursor = options.cursor
  }

  start(): void {
    const tick = (): void => {
      if (this.#stopped) return
      this.#polling = this.#poll().finally(() => {
        this.#polling = null
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.intervalMs ?? 1000).unref()
      })
    }
    this.#timer = setTimeout(tick, this.#options.intervalMs ?? 1000).unref()
  }

  /**
   * Stops polling and returns the cursor after the last page handed on: the final read starts
   * there. A page that lands after stop() is dropped with its cursor, so nothing is lost or doubled.
   */
  async stop(): Promise<string | null> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    if (this.#polling) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([this.#polling, new Promise((r) => (timer = setTimeout(r, this.#options.stopWaitMs ?? 2000).unref()))])
      clearTimeout(timer)
    }
    return this.#cursor
  }

  async #poll(): Promise<void> {
    try {
      for await (const page of this.#options.source.pages(this.#cursor)) {
        if (this.#stopped) return
        if (page.records.length > 0) {
          this.records += page.records.length
          this.#options.onRecords(page.records, Date.now())
        }
        if (page.problems) this.#options.onProblems?.(page.problems)
        this.#cursor = page.cursor ?? this.#cursor
      }
      const { source, onHeads } = this.#options
      if (onHeads && source.heads) {
        const heads = await source.heads()
        if (!this.#stopped) onHeads(heads, Date.now())
      }
      this.successes++
      this.lastError = null
      const open = this.outages.at(-1)
      if (open && open.to === null) open.to = Date.now()
    } catch (e) {
      this.failures++
      this.lastError = e instanceof Error ? e : new Error(String(e))
      const open = this.outages.at(-1)
      if (open && open.to === null) open.polls++
      else this.outages.push({ from: Date.now(), to: null, polls: 1, error: this.lastError.message })
    }
  }
}
