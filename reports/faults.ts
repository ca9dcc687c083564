/**
 * The run report's "Faults" section: each fault window beside throughput, latency and block rate while
 * it was in effect, its time to recover, and the run's timeline (1 s buckets) as text sparklines
 * with the fault windows marked, plus the seconds around each window as a table.
 *
 * @example
 * ```ts
 * lines.push(...renderFaults(runJson))   // [] when the run had no faults
 * ```
 */
import type { FaultResult, RunJson, TimelineBucket } from '../harness/contracts/run-json.ts'
import { ms, pct } from './format.ts'
import { redact } from './redact.ts'

const BARS = '▁▂▃▄▅▆▇█'
/** Sparklines longer than this are grouped into wider buckets. */
const MAX_WIDTH = 120
/** Seconds shown before and after a window in its table. */
const AROUND_S = 2
/** A window's table never runs longer than this many rows. */
const MAX_ROWS = 40

function cell(text: string): string {
  return redact(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)]
}

const orDash = (v: number | null | undefined, f: (x: number) => string): string => (v === null || v === undefined ? '—' : f(v))

export function sparkline(values: readonly (number | null)[], max?: number): string {
  const top = max ?? Math.max(0, ...values.map((v) => v ?? 0))
  return values
    .map((v) => {
      if (v === null) return ' '
      if (top <= 0) return BARS[0]
      return BARS[Math.min(BARS.length - 1, Math.max(0, Math.round((v / top) * (BARS.length - 1))))]
    })
    .join('')
}

/** Groups 1 s buckets `size` at a time: volumes add up, p95 takes the worst, rates the lowest. */
export function group(timeline: readonly TimelineBucket[], size: number): TimelineBucket[] {
  if (size <= 1) return [...timeline]
  const out: TimelineBucket[] = []
  for (let i = 0; i < timeline.length; i += size) {
    const part = timeline.slice(i, i + size)
    const worst = (pick: (b: TimelineBucket) => number | null, f: (...x: number[]) => number): number | null => {
      const xs = part.map(pick).filter((x): x is number => x !== null)
      return xs.length === 0 ? null : f(...xs)
    }
    out.push({
      t_s: part[0].t_s,
      attempts: part.reduce((n, b) => n + b.attempts, 0),
      legit: part.reduce((n, b) => n + b.legit, 0),
      attacks: part.reduce((n, b) => n + b.attacks, 0),
      p95_ms: worst((b) => b.p95_ms, Math.max),
      block_rate: worst((b) => b.block_rate, Math.min),
      legit_success: worst((b) => b.legit_success, Math.min),
      breaches: part.reduce((n, b) => n + b.breaches, 0),
      errors: part.reduce((n, b) => n + b.errors, 0),
      faults: [...new Set(part.flatMap((b) => b.faults))],
    })
  }
  return out
}

/** Time to recover in words, and whether it kept the scenario's allowance (null: no allowance or not measurable). */
export function recoveryOf(f: FaultResult): { text: string; ok: boolean | null } {
  if (f.error !== null || f.start === null) return { text: '—', ok: null }
  if (f.recovered === null) return { text: 'no traffic after', ok: null }
  if (!f.recovered) return { text: 'not recovered', ok: false }
  if (f.recover_within_s === null) return { text: `${f.ttr_s} s`, ok: null }
  const ok = f.ttr_s! <= f.recover_within_s
  return { text: `${f.ttr_s} s (${ok ? '≤' : '>'} ${f.recover_within_s} s)`, ok }
}

/** What became of a fault: why it never applied, its error, or whether it healed (`bad`: a board should look). */
export function faultEffect(f: FaultResult): { text: string; bad: boolean } {
  if (f.skipped !== undefined) return { text: f.skipped, bad: false }
  if (f.start === null) return { text: 'not reached', bad: false }
  if (f.error !== null) return { text: f.error, bad: true }
  return f.healed ? { text: 'healed', bad: false } : { text: 'not healed', bad: true }
}

function ttr(f: FaultResult): string {
  const r = recoveryOf(f)
  if (r.text === 'not recovered') return `**${r.text}**`
  // `1 s (≤ 2 s)` → `1 s (≤ 2 s ✅)`
  return r.ok === null ? r.text : r.text.replace(/\)$/, ` ${r.ok ? '✅' : '❌'})`)
}

/** A fault window's figures as table cells (attempts, p95, block rate, legit success, breaches, unrecorded): the same in both reports. */
export function windowFigures(f: FaultResult): string[] {
  const d = f.during
  return [
    `${d.attempts} (${d.rate.toFixed(1)}/s)`,
    orDash(d.p95_ms, ms),
    orDash(d.block_rate, pct),
    orDash(d.legit_success, pct),
    String(d.breaches),
    `${d.unrecorded}${d.gap_covered ? ` (+${d.gap_covered} in gap records)` : ''}`,
  ]
}

function windowRow(f: FaultResult, gatesFailed: boolean): string[] {
  const mark = f.error !== null || gatesFailed ? '❌' : f.start === null ? '➖' : '✅'
  const e = faultEffect(f)
  const effect = e.text === 'not healed' ? `**${e.text}**` : cell(e.text)
  return [
    mark,
    `\`${f.id}\` ${cell(f.label)}`,
    cell(f.detail),
    effect,
    ...windowFigures(f),
    ttr(f),
  ]
}

function timelineBlock(timeline: readonly TimelineBucket[], faults: readonly FaultResult[]): string[] {
  const size = Math.max(1, Math.ceil(timeline.length / MAX_WIDTH))
  const g = group(timeline, size)
  const label = (s: string): string => s.padEnd(16)
  const axis = g.map((b, i) => (i % 10 === 0 ? '|' : ' ')).join('')
  const lines = [
    `${label(`t (${size} s/char)`)}${axis}`,
    ...faults.filter((f) => f.start !== null).map((f) => `${label(`${f.id} ${f.kind}`)}${g.map((b) => (b.faults.includes(f.id) ? '█' : '·')).join('')}`),
    `${label('attempts/s')}${sparkline(g.map((b) => b.attempts))}  max ${Math.max(0, ...g.map((b) => b.attempts)) / size}/s`,
    `${label('p95 ms')}${sparkline(g.map((b) => b.p95_ms))}  max ${ms(Math.max(0, ...g.map((b) => b.p95_ms ?? 0)))} ms`,
    `${label('block rate')}${sparkline(g.map((b) => b.block_rate), 1)}  min ${pct(Math.min(1, ...g.map((b) => b.block_rate ?? 1)))}`,
    `${label('legit success')}${sparkline(g.map((b) => b.legit_success), 1)}  min ${pct(Math.min(1, ...g.map((b) => b.legit_success ?? 1)))}`,
    `${label('breaches')}${g.map((b) => (b.breaches > 0 ? '×' : ' ')).join('')}`,
  ]
  return ['```text', ...lines, '```']
}

function aroundWindow(f: FaultResult, timeline: readonly TimelineBucket[]): string[] {
  const from = Math.max(0, Math.floor(f.at_s) - AROUND_S)
  const to = Math.min(timeline.length - 1, Math.ceil(f.at_s + f.for_s + (f.ttr_s ?? 0)) + AROUND_S, from + MAX_ROWS - 1)
  const rows = timeline.slice(from, to + 1).map((b) => [
    `${b.t_s}`,
    b.faults.includes(f.id) ? `**${f.id}**` : '',
    String(b.attempts),
    orDash(b.p95_ms, ms),
    orDash(b.block_rate, pct),
    orDash(b.legit_success, pct),
    String(b.breaches),
    String(b.errors),
  ])
  if (rows.length === 0) return []
  return [
    '',
    `**\`${f.id}\` ${cell(f.label)}** — ${cell(f.detail)}`,
    '',
    ...table(['t (s)', 'fault', 'attempts', 'p95 ms', 'block rate', 'legit success', 'breaches', 'errors'], rows),
  ]
}

export function renderFaults(run: RunJson): string[] {
  const faults = run.faults ?? []
  if (faults.length === 0) return []
  const failedWindows = new Set(run.gates.filter((g) => !g.ok && g.window).map((g) => g.window))
  const lines = [
    '## Faults',
    '',
    'The steady state under chaos: in every fault window no attack is accepted, and every attempt ends up in evidence (or the target records the gap). ' +
      'Figures are for attempts in flight while the fault was in effect; time to recover counts 1 s buckets after healing until legitimate success is back above its threshold.',
    '',
    ...table(
      ['', 'fault', 'what', 'state', 'attempts (throughput)', 'p95 ms', 'block rate', 'legit success', 'breaches', 'unrecorded', 'time to recover'],
      faults.map((f) => windowRow(f, failedWindows.has(f.label))),
    ),
  ]
  const timeline = run.timeline ?? []
  if (timeline.length > 0) {
    lines.push('', '### Timeline', '', 'One column per second of the measured phase (wider when the run is long); `█` marks a fault in effect, `×` a second with a breach.', '', ...timelineBlock(timeline, faults))
    for (const f of faults) if (f.start !== null) lines.push(...aroundWindow(f, timeline))
  }
  return lines
}
