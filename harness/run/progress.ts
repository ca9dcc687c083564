/**
 * Live progress: a rewritten line on a terminal, a plain line every few seconds otherwise (CI logs).
 * Counters only; percentiles come from Node's HDR histogram.
 */
import { createHistogram } from 'node:perf_hooks'
import type { AttemptRecord } from '../attempt.ts'

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
  private timer: NodeJS.Timeout | undefined
  private startedAt = Date.now()
  private out: NodeJS.WriteStream
  private tty: boolean
  dropped = 0

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
    return `  ${elapsed}s  ${this.rate.toFixed(0)}/s  attempts ${this.attempts}  attacks ${this.attacks} (blocked ${blockedPct}%)  legit ok ${this.legitOk}  p95 ${p95} ms  errors ${this.errors}  dropped ${this.dropped}`
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
