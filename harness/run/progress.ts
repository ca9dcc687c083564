/**
 * Live progress: a rewritten line on a terminal, a plain line every few seconds otherwise (CI logs).
 * Counters only; percentiles come from Node's HDR histogram.
 *
 * Evidence lag is how long after an attempt ended the harness first read its record from the
 * target (evidence-tail.ts polls once a second, so it reads high by up to a second). It joins by
 * trace id only, through a bounded map of recent attempts: attempts whose records join by token
 * (no trace context at the target) show as unseen here and are still graded at the end.
 */
import { createHistogram } from 'node:perf_hooks'
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'

/** Attempts kept for the lag join: at 10k attempts/s, ten seconds of them (~1 MB). */
const PENDING_LIMIT = 100_000

export interface ActiveFault {
  label: string
}

export class Progress {
  private attempts = 0
  private attacks = 0
  private blocked = 0
  private legitOk = 0
  private errors = 0
  private windowStart = Date.now()
  private windowCount = 0
  private rate = 0
  private latency = createHistogram()
  private evidenceLag = createHistogram()
  private evidenceSeen = 0
  private pending = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private startedAt = Date.now()
  private out: NodeJS.WriteStream
  private tty: boolean
  dropped = 0
  /** the faults in effect now (chaos session); none when the run has no fault windows */
  activeFaults: () => readonly ActiveFault[] = () => []

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.out = out
    this.tty = Boolean(out.isTTY) && !process.env.CI
  }

  start(): void {
    this.startedAt = Date.now()
    this.timer = setInterval(() => this.print(), this.tty ? 1000 : 10_000)
    this.timer.unref()
  }

  observe(a: AttemptRecord): void {
    this.attempts++
    this.windowCount++
    if (a.transport_error) this.errors++
    else this.latency.record(Math.max(1, Math.round((a.ended_at - a.scheduled_at) * 1000)))
    if (a.kind === 'attack') {
      this.attacks++
      if (a.status !== null && a.status >= 400) this.blocked++
    } else if (a.status !== null && a.status < 300) this.legitOk++
    if (a.trace_id) {
      // Map order is insertion order: the oldest pending attempt goes first when the map is full.
      if (this.pending.size >= PENDING_LIMIT) this.pending.delete(this.pending.keys().next().value as string)
      this.pending.set(a.trace_id, a.ended_at)
    }
  }

  /** Records read from the target's evidence at `readAt` (epoch ms). */
  observeEvidence(records: readonly EvidenceRecord[], readAt: number): void {
    for (const r of records) {
      const trace = r.correlation?.trace_id
      if (!trace) continue
      const ended = this.pending.get(trace)
      if (ended === undefined) continue
      this.pending.delete(trace)
      this.evidenceSeen++
      this.evidenceLag.record(Math.max(1, Math.round(readAt - ended)))
    }
  }

  /** The evidence lag so far, for run.json's `evidence.lag`; null until a record joined an attempt by trace id. */
  evidenceLagSummary(): { seen: number; p50_ms: number; p95_ms: number; p99_ms: number } | null {
    if (this.evidenceSeen === 0) return null
    const at = (p: number) => this.evidenceLag.percentile(p)
    return { seen: this.evidenceSeen, p50_ms: at(50), p95_ms: at(95), p99_ms: at(99) }
  }

  line(): string {
    const now = Date.now()
    if (now - this.windowStart >= 1000) {
      this.rate = (this.windowCount * 1000) / (now - this.windowStart)
      this.windowStart = now
      this.windowCount = 0
    }
    const elapsed = ((now - this.startedAt) / 1000).toFixed(0)
    const p95 = this.attempts ? (this.latency.percentile(95) / 1000).toFixed(1) : '-'
    const blockedPct = this.attacks ? ((100 * this.blocked) / this.attacks).toFixed(1) : '-'
    const lag = this.evidenceSeen ? `${(this.evidenceLag.percentile(95) / 1000).toFixed(1)} s` : '-'
    const faults = this.activeFaults()
    return (
      `  ${elapsed}s  ${this.rate.toFixed(0)}/s  attempts ${this.attempts}  attacks ${this.attacks} (blocked ${blockedPct}%)  legit ok ${this.legitOk}` +
      `  p95 ${p95} ms  evidence lag p95 ${lag} (${this.evidenceSeen} seen)  errors ${this.errors}  dropped ${this.dropped}` +
      (faults.length ? `  faults: ${faults.map((f) => f.label).join(', ')}` : '')
    )
  }

  print(): void {
    if (this.tty) this.out.write(`\r\x1b[2K${this.line()}`)
    else this.out.write(`${this.line()}\n`)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    if (this.tty) this.out.write(`\r\x1b[2K${this.line()}\n`)
    else this.out.write(`${this.line()}\n`)
  }
}
