/**
 * report.html's charts as inline SVG, drawn from run.json alone: no script, no library, nothing
 * fetched, so they render the same from a file, an artifact store or a printer. Series differ by
 * dash pattern as well as colour, so a black-and-white print still tells them apart; every panel
 * names its unit, and the x axis says what the seconds count from.
 */
import type { FaultResult, GateResult, RunJson, TimelineBucket, TrendSummary } from '../../harness/contracts/run-json.ts'
import { group } from '../faults.ts'
import { ms } from '../format.ts'
import { esc, text } from './escape.ts'

const W = 960
const LEFT = 70
const RIGHT = 20
const PLOT_W = W - LEFT - RIGHT
/** Timelines longer than this many buckets are grouped (faults.ts group: volumes add, p95 worst, rates lowest). */
const MAX_BUCKETS = 300

export const COLORS = { legit: '#4e79a7', attacks: '#f28e2b', p95: '#0e7c86', success: '#2f7d32', block: '#7b3294', breach: '#c62828', fault: '#fbe3b0', deny: '#f28e2b', all: '#4e79a7', gate: '#c62828' } as const

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))

/** 0, ½ and the top of a scale, rounded up so the top tick is a readable number. */
function niceTop(max: number): number {
  if (max <= 0) return 1
  const mag = 10 ** Math.floor(Math.log10(max))
  const step = [1, 2, 2.5, 5, 10].find((s) => s * mag >= max)!
  return step * mag
}

function yAxis(top: number, y0: number, h: number, unit: (v: number) => string): string {
  return [0, 0.5, 1]
    .map((f) => {
      const y = y0 + h - f * h
      return `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}" class="grid"/><text x="${LEFT - 6}" y="${y + 4}" text-anchor="end" class="tick">${esc(unit(top * f))}</text>`
    })
    .join('')
}

/** A line through the non-null values; a null (no samples that second) breaks it. */
function line(values: readonly (number | null)[], x: (i: number) => number, y: (v: number) => number, cls: string, color: string): string {
  const runs: string[] = []
  let cur: string[] = []
  values.forEach((v, i) => {
    if (v === null) {
      if (cur.length) runs.push(cur.join(' '))
      cur = []
      return
    }
    cur.push(`${cur.length ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`)
  })
  if (cur.length) runs.push(cur.join(' '))
  const dots = values.length <= 60 ? values.map((v, i) => (v === null ? '' : `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.2" fill="${color}"/>`)).join('') : ''
  return runs.map((d) => `<path d="${d}" class="${cls}" stroke="${color}" fill="none"/>`).join('') + dots
}

/** Contiguous runs of buckets in which fault `id` was in effect, as [first, last] indexes. */
function spans(buckets: readonly TimelineBucket[], id: string): [number, number][] {
  const out: [number, number][] = []
  buckets.forEach((b, i) => {
    if (!b.faults.includes(id)) return
    const last = out.at(-1)
    if (last && last[1] === i - 1) last[1] = i
    else out.push([i, i])
  })
  return out
}

function legend(items: readonly { label: string; color: string; kind: 'box' | 'line' | 'dash' | 'cross' }[], y: number): string {
  let x = LEFT
  return items
    .map((it) => {
      const sym =
        it.kind === 'box'
          ? `<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${it.color}" stroke="#888" stroke-width="0.5"/>`
          : it.kind === 'cross'
            ? `<text x="${x + 6}" y="${y}" text-anchor="middle" class="breach" fill="${it.color}">×</text>`
            : `<line x1="${x}" x2="${x + 16}" y1="${y - 4}" y2="${y - 4}" stroke="${it.color}" class="${it.kind === 'dash' ? 'series dashed' : 'series'}"/>`
      const out = `${sym}<text x="${x + 20}" y="${y}" class="legend">${text(it.label)}</text>`
      x += 28 + it.label.length * 6.4
      return out
    })
    .join('')
}

/**
 * The measured phase second by second: throughput (legitimate and attack attempts), p95 latency,
 * legitimate success and block rate, with each fault window shaded and labelled across all three
 * panels and a cross over every second with a breach.
 */
export function timelineChart(timeline: readonly TimelineBucket[], faults: readonly FaultResult[]): string {
  if (timeline.length === 0) return ''
  const size = Math.max(1, Math.ceil(timeline.length / MAX_BUCKETS))
  const b = group(timeline, size)
  const n = b.length
  const bw = PLOT_W / n
  const x = (i: number): number => LEFT + i * bw
  const mid = (i: number): number => x(i) + bw / 2
  const panels = { thr: { y: 40, h: 120 }, p95: { y: 200, h: 90 }, rate: { y: 330, h: 90 } }
  const axisY = panels.rate.y + panels.rate.h
  const height = axisY + 70
  const parts: string[] = []

  // fault windows first, under everything else
  const applied = faults.filter((f) => f.start !== null)
  for (const f of applied) {
    for (const [a, z] of spans(b, f.id)) {
      parts.push(`<rect x="${x(a).toFixed(1)}" y="${panels.thr.y - 14}" width="${((z - a + 1) * bw).toFixed(1)}" height="${axisY - panels.thr.y + 14}" fill="${COLORS.fault}" class="fault-window" data-fault="${esc(f.id)}"><title>${text(`${f.id} ${f.label}: ${f.detail}`)}</title></rect>`)
      parts.push(`<text x="${(x(a) + 3).toFixed(1)}" y="${panels.thr.y - 3}" class="fault-label">${text(f.id)}</text>`)
    }
  }

  // throughput: stacked bars, legitimate below attacks
  const perS = (v: number): number => v / size
  const thrTop = niceTop(Math.max(...b.map((k) => perS(k.attempts))))
  const ty = (v: number): number => panels.thr.y + panels.thr.h - (v / thrTop) * panels.thr.h
  parts.push(`<text x="${LEFT}" y="${panels.thr.y - 22}" class="panel-title">Throughput (attempts per second)</text>`)
  parts.push(yAxis(thrTop, panels.thr.y, panels.thr.h, fmt))
  b.forEach((k, i) => {
    const w = Math.max(0.5, bw - (bw > 4 ? 1 : 0))
    const legitTop = ty(perS(k.legit))
    parts.push(`<rect x="${x(i).toFixed(1)}" y="${legitTop.toFixed(1)}" width="${w.toFixed(1)}" height="${(panels.thr.y + panels.thr.h - legitTop).toFixed(1)}" fill="${COLORS.legit}"/>`)
    const attTop = ty(perS(k.legit + k.attacks))
    parts.push(`<rect x="${x(i).toFixed(1)}" y="${attTop.toFixed(1)}" width="${w.toFixed(1)}" height="${(legitTop - attTop).toFixed(1)}" fill="${COLORS.attacks}"/>`)
    if (k.breaches > 0) parts.push(`<text x="${mid(i).toFixed(1)}" y="${(attTop - 3).toFixed(1)}" text-anchor="middle" class="breach" fill="${COLORS.breach}">×<title>${k.breaches} breach(es) at ${k.t_s} s</title></text>`)
  })

  // p95 latency
  const p95Top = niceTop(Math.max(0, ...b.map((k) => k.p95_ms ?? 0)))
  parts.push(`<text x="${LEFT}" y="${panels.p95.y - 10}" class="panel-title">p95 latency (ms)</text>`)
  parts.push(yAxis(p95Top, panels.p95.y, panels.p95.h, fmt))
  parts.push(line(b.map((k) => k.p95_ms), mid, (v) => panels.p95.y + panels.p95.h - (v / p95Top) * panels.p95.h, 'series', COLORS.p95))

  // rates, 0–100 %
  const ry = (v: number): number => panels.rate.y + panels.rate.h - v * panels.rate.h
  parts.push(`<text x="${LEFT}" y="${panels.rate.y - 10}" class="panel-title">Legitimate success and attack block rate (%)</text>`)
  parts.push(yAxis(1, panels.rate.y, panels.rate.h, (v) => `${Math.round(v * 100)}%`))
  parts.push(line(b.map((k) => k.legit_success), mid, ry, 'series', COLORS.success))
  parts.push(line(b.map((k) => k.block_rate), mid, ry, 'series dashed', COLORS.block))

  // x axis: about ten ticks, on whole seconds
  const secs = n * size
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => secs / s <= 12) ?? Math.ceil(secs / 12)
  parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${axisY}" y2="${axisY}" class="axis"/>`)
  for (let s = 0; s <= secs; s += step) {
    const xs = LEFT + (s / secs) * PLOT_W
    parts.push(`<line x1="${xs.toFixed(1)}" x2="${xs.toFixed(1)}" y1="${axisY}" y2="${axisY + 5}" class="axis"/><text x="${xs.toFixed(1)}" y="${axisY + 18}" text-anchor="middle" class="tick">${s}</text>`)
  }
  parts.push(`<text x="${LEFT + PLOT_W / 2}" y="${axisY + 36}" text-anchor="middle" class="axis-label">seconds from the start of the measured phase${size > 1 ? ` (${size} s per bar)` : ''}</text>`)
  parts.push(legend([
    { label: 'legitimate', color: COLORS.legit, kind: 'box' },
    { label: 'attacks', color: COLORS.attacks, kind: 'box' },
    { label: 'p95 latency', color: COLORS.p95, kind: 'line' },
    { label: 'legit success', color: COLORS.success, kind: 'line' },
    { label: 'block rate', color: COLORS.block, kind: 'dash' },
    { label: 'fault in effect', color: COLORS.fault, kind: 'box' },
    { label: 'breach', color: COLORS.breach, kind: 'cross' },
  ], height - 8))

  const desc = `${secs} seconds; ${applied.length} fault window(s): ${applied.map((f) => `${f.id} ${f.label}`).join('; ') || 'none'}`
  return svg('timeline', height, 'Timeline of the measured phase with fault windows', desc, parts)
}

interface LatencyGate {
  metric: string
  pct: string
  limit: number
  ok: boolean
}

/** `p(95)<250` on an untagged latency trend, drawn as a line at 250 ms on that percentile's row. */
function latencyGates(gates: readonly GateResult[]): LatencyGate[] {
  return gates.flatMap((g) => {
    const m = /^p\((\d+(?:\.\d+)?)\)\s*<=?\s*(\d+(?:\.\d+)?)$/.exec(g.expression.replace(/\s+/g, ''))
    if (!m || (g.metric !== 'http_req_duration' && g.metric !== 'deny_path_duration')) return []
    return [{ metric: g.metric, pct: `p${m[1]}`, limit: Number(m[2]), ok: g.ok }]
  })
}

/** Latency percentiles from run.json's metrics: every request beside the deny path (attacks), with latency gates marked. */
export function latencyChart(metrics: RunJson['metrics'], gates: readonly GateResult[]): string {
  const series: { name: string; label: string; t: TrendSummary; color: string }[] = [
    { name: 'http_req_duration', label: 'all requests (http_req_duration)', t: metrics.http_req_duration, color: COLORS.all },
    { name: 'deny_path_duration', label: 'attacks, the deny path (deny_path_duration)', t: metrics.deny_path_duration, color: COLORS.deny },
  ].filter((s) => s.t.count > 0)
  if (series.length === 0) return ''
  const rows = ['min', 'med', 'avg', 'p90', 'p95', 'p99', 'max'] as const
  const limits = latencyGates(gates)
  const top = niceTop(Math.max(...series.flatMap((s) => rows.map((r) => s.t[r])), ...limits.map((l) => l.limit)))
  const barH = 11
  const rowH = series.length * barH + 10
  const y0 = 30 + limits.length * 12
  const left = 110
  const plotW = W - left - 90
  const xv = (v: number): number => left + (v / top) * plotW
  const parts: string[] = []
  const axisY = y0 + rows.length * rowH
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const xs = left + f * plotW
    parts.push(`<line x1="${xs}" x2="${xs}" y1="${y0 - 4}" y2="${axisY}" class="grid"/><text x="${xs}" y="${axisY + 16}" text-anchor="middle" class="tick">${fmt(top * f)}</text>`)
  }
  rows.forEach((r, ri) => {
    const ry = y0 + ri * rowH
    parts.push(`<text x="${left - 8}" y="${ry + rowH / 2 + 2}" text-anchor="end" class="tick">${r}</text>`)
    series.forEach((s, si) => {
      const v = s.t[r]
      const y = ry + si * barH
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, xv(v) - left).toFixed(1)}" height="${barH - 2}" fill="${s.color}"><title>${text(`${s.name} ${r} ${ms(v)} ms`)}</title></rect>`)
      parts.push(`<text x="${(xv(v) + 4).toFixed(1)}" y="${y + barH - 3}" class="value">${esc(ms(v))}</text>`)
    })
  })
  // a latency gate is a line across the chart at its limit, labelled with what it bounds
  limits.forEach((l, i) => {
    const lx = xv(l.limit).toFixed(1)
    const which = l.metric === 'http_req_duration' ? 'all requests' : 'deny path'
    parts.push(`<line x1="${lx}" x2="${lx}" y1="${y0 - 6}" y2="${axisY}" stroke="${COLORS.gate}" class="gate-line"/><text x="${lx}" y="${y0 - 10 - i * 12}" text-anchor="end" class="gate-label">gate ${esc(l.pct)} &lt; ${esc(fmt(l.limit))} ms (${which}): ${l.ok ? 'held' : 'failed'}</text>`)
  })
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${axisY}" y2="${axisY}" class="axis"/>`)
  parts.push(`<text x="${left + plotW / 2}" y="${axisY + 34}" text-anchor="middle" class="axis-label">milliseconds from the scheduled time</text>`)
  const height = axisY + 62
  parts.push(legend(series.map((s) => ({ label: s.label, color: s.color, kind: 'box' as const })), height - 8))
  return svg('latency', height, 'Latency percentiles (ms)', series.map((s) => `${s.name}: p95 ${ms(s.t.p95)} ms over ${s.t.count} requests`).join('; '), parts)
}

function svg(name: string, height: number, title: string, desc: string, parts: readonly string[]): string {
  const id = `chart-${name}`
  return `<figure class="chart"><svg data-chart="${name}" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${text(title)}</title><desc id="${id}-d">${text(desc)}</desc>${parts.join('')}</svg></figure>`
}
