/**
 * A run against a baseline run (`gatecrash diff`, `gatecrash run --baseline`), from the two
 * run.json documents alone: it judges what each run already decided, never grades anew.
 *
 * Hard regressions are losses of what the baseline proved: a case whose verdict is worse, a gate
 * that held and fails now, a case covered then and not now, an attack family that held and does
 * not now. Soft regressions are figures that moved beyond a tolerance wider than run-to-run noise
 * (latency percentiles, evidence lag); they fail only under `strict`. Improvements are listed too
 * and never fail anything.
 */
import { RunsIncomparable } from '../contracts/errors.ts'
import type { CaseRow, ChangeTolerance, RunChange, RunComparison, RunJson } from '../contracts/run-json.ts'
import type { Verdict } from '../contracts/verdict.ts'
import { DEFAULT_TOLERANCE } from './tolerance.ts'

export interface CompareOptions {
  /** soft regressions count as regressions */
  strict?: boolean
  tolerance?: Partial<RunComparison['tolerance']>
}

/**
 * How bad a case verdict is, for comparison: the order of contracts/verdict.ts with the two that
 * prove nothing either way (not-covered, error) level with pass, because losing proof is judged
 * as coverage, not as a verdict.
 */
const SEVERITY: Record<Verdict, number> = { pass: 0, 'not-covered': 0, error: 0, warn: 1, 'false-deny': 2, unrecorded: 3, misattributed: 4, breach: 5 }

/** The issued-token checks are rows of every run from grader 4 on: they say nothing about whether two runs attacked the same things. */
const isAttackCase = (id: string): boolean => !id.startsWith('issued.')

/**
 * Refuses two runs without a single attack case in common (each having some): every case of the
 * baseline would read as lost coverage, which says nothing about the target.
 */
export function assertComparable(baseline: { run_id: string; cases: readonly string[] }, now: { name: string; cases: readonly string[] }): void {
  const base = baseline.cases.filter(isAttackCase)
  const mine = new Set(now.cases.filter(isAttackCase))
  if (base.length === 0 || mine.size === 0 || base.some((c) => mine.has(c))) return
  throw new RunsIncomparable(`${now.name} and baseline ${baseline.run_id} have no attack case in common`, {
    hint: `the baseline ran ${base.slice(0, 4).join(', ')}${base.length > 4 ? ', …' : ''}; compare runs of the same scenario (or scenarios that share cases)`,
  })
}

export function compareRuns(baseline: RunJson, run: RunJson, options: CompareOptions = {}): RunComparison {
  assertComparable({ run_id: baseline.run_id, cases: baseline.cases.map((c) => c.id) }, { name: `run ${run.run_id}`, cases: run.cases.map((c) => c.id) })
  const tolerance = { ...DEFAULT_TOLERANCE, ...options.tolerance }
  const hard: RunChange[] = []
  const soft: RunChange[] = []
  const improvements: RunChange[] = []
  const notes = contextNotes(baseline, run)

  compareCases(baseline, run, { hard, improvements, notes })
  compareGates(baseline, run, { hard, improvements, notes })
  compareFamilies(baseline, run, { hard, improvements, notes })
  compareFigures(baseline, run, tolerance, { soft, improvements, notes })

  const strict = options.strict ?? false
  return {
    baseline: { run_id: baseline.run_id, scenario: baseline.scenario.name, target: `${baseline.target.name} ${baseline.target.version}`.trim(), verdict: baseline.verdict },
    strict,
    regressed: hard.length > 0 || (strict && soft.length > 0),
    hard,
    soft,
    improvements,
    notes,
    tolerance,
  }
}

interface Sink {
  hard: RunChange[]
  improvements: RunChange[]
  notes: string[]
}

/** covered or not, from run.json's coverage, or (runs made before it was reported) from the case row as finalize.ts judges it */
function coverageOf(run: RunJson): Map<string, { covered: boolean; reason?: string }> {
  if (run.coverage) return new Map(run.coverage.map((c) => [c.case, c]))
  return new Map(run.cases.map((r) => [r.id, { covered: r.attempts - (r.counts['not-covered'] ?? 0) - (r.counts.error ?? 0) > 0 }]))
}

function share(row: CaseRow): string {
  const n = row.counts[row.verdict] ?? 0
  return `${n} of ${row.attempts} attempts ${row.verdict}`
}

function compareCases(baseline: RunJson, run: RunJson, out: Sink): void {
  const rows = new Map(run.cases.map((r) => [r.id, r]))
  const baseCov = coverageOf(baseline)
  const nowCov = coverageOf(run)
  for (const was of baseline.cases) {
    const now = rows.get(was.id)
    const wasCovered = baseCov.get(was.id)?.covered ?? false
    const nowCovered = now ? (nowCov.get(was.id)?.covered ?? false) : false
    const change = (detail: string): RunChange => ({ kind: 'case', subject: was.id, baseline: was.verdict, now: now?.verdict ?? null, detail })
    if (wasCovered && !nowCovered) {
      const why = now ? (nowCov.get(was.id)?.reason ?? 'no attempt proved anything either way') : 'not in this run'
      out.hard.push({ ...change(`covered → not covered: ${why}`), kind: 'coverage' })
      continue
    }
    if (!now) continue
    const worse = SEVERITY[now.verdict] - SEVERITY[was.verdict]
    // not covered then and failing now: the baseline showed no such failure, so it counts against this run
    if (worse > 0) out.hard.push(change(`${was.verdict} → ${now.verdict} (${share(now)})`))
    else if (worse < 0) out.improvements.push(change(`${was.verdict} → ${now.verdict}`))
    else if (!wasCovered && nowCovered) out.improvements.push({ ...change(`not covered → covered (${now.verdict})`), kind: 'coverage' })
  }
  const known = new Set(baseline.cases.map((c) => c.id))
  const added = run.cases.filter((c) => !known.has(c.id))
  if (added.length > 0) out.notes.push(`${added.length} ${added.length === 1 ? 'case is' : 'cases are'} not in the baseline (judged by this run's gates only): ${added.map((c) => `${c.id} ${c.verdict}`).join(', ')}`)
}

const gateKey = (g: RunJson['gates'][number]): string => `${g.metric} ${g.expression}${g.window ? ` [${g.window}]` : ''}`

function compareGates(baseline: RunJson, run: RunJson, out: Sink): void {
  const now = new Map(run.gates.map((g) => [gateKey(g), g]))
  const gone: string[] = []
  for (const was of baseline.gates) {
    const key = gateKey(was)
    const g = now.get(key)
    if (!g) {
      gone.push(key)
      continue
    }
    const change = (detail: string): RunChange => ({ kind: 'gate', subject: key, baseline: was.ok ? 'held' : 'failed', now: g.ok ? 'held' : 'failed', detail })
    const observed = (v: number | null): string => (v === null ? 'no samples' : String(Number(v.toFixed(4))))
    if (was.ok && !g.ok) out.hard.push(change(`held → failed (observed ${observed(was.observed)} → ${observed(g.observed)}${g.cases.length ? `; cases: ${g.cases.join(', ')}` : ''})`))
    else if (!was.ok && g.ok) out.improvements.push(change(`failed → held (observed ${observed(was.observed)} → ${observed(g.observed)})`))
  }
  if (gone.length > 0) out.notes.push(`gates of the baseline this run did not evaluate: ${gone.join('; ')}`)
  const known = new Set(baseline.gates.map(gateKey))
  const newFailing = run.gates.filter((g) => !g.ok && !known.has(gateKey(g)))
  if (newFailing.length > 0) out.notes.push(`failing gates the baseline did not have (the run's own verdict counts them): ${newFailing.map(gateKey).join('; ')}`)
}

function compareFamilies(baseline: RunJson, run: RunJson, out: Sink): void {
  if (!baseline.families || !run.families) return
  const now = new Map(run.families.map((f) => [f.family, f]))
  for (const was of baseline.families) {
    const f = now.get(was.family)
    const change = (detail: string): RunChange => ({ kind: 'family', subject: was.family, baseline: was.result, now: f?.result ?? null, detail })
    if (was.result === 'held' && f?.result !== 'held') {
      const what = f ? [...f.failed.map((c) => `${c} failed`), ...f.not_covered.map((c) => `${c} not covered`)].join(', ') : 'not in this run'
      out.hard.push(change(`held → ${f?.result ?? 'absent'}${what ? ` (${what})` : ''}`))
    } else if (was.result !== 'held' && f?.result === 'held') out.improvements.push(change(`${was.result} → held`))
  }
}

/** The figures compared, each with the tolerance it is judged by; a figure absent or without samples on either side is skipped with a note. */
function figures(run: RunJson): { subject: string; kind: 'latency' | 'evidence-lag'; value: number | null }[] {
  const trend = (name: 'http_req_duration' | 'deny_path_duration', p: 'p95' | 'p99') => {
    const t = run.metrics[name]
    return { subject: `${name} ${p}`, kind: 'latency' as const, value: t && t.count > 0 ? t[p] : null }
  }
  const lag = run.evidence.lag
  return [
    trend('http_req_duration', 'p95'),
    trend('http_req_duration', 'p99'),
    trend('deny_path_duration', 'p95'),
    trend('deny_path_duration', 'p99'),
    { subject: 'evidence lag p95', kind: 'evidence-lag', value: lag && lag.seen > 0 ? lag.p95_ms : null },
  ]
}

function compareFigures(baseline: RunJson, run: RunJson, tolerance: RunComparison['tolerance'], out: { soft: RunChange[]; improvements: RunChange[]; notes: string[] }): void {
  const now = figures(run)
  const skipped: string[] = []
  for (const [i, was] of figures(baseline).entries()) {
    const value = now[i].value
    if (was.value === null || value === null) {
      skipped.push(was.subject)
      continue
    }
    const tol = was.kind === 'latency' ? tolerance.latency : tolerance.evidence_lag
    const change: RunChange = { kind: was.kind, subject: was.subject, baseline: round(was.value), now: round(value), detail: `${ms(was.value)} → ${ms(value)} ms (${signedPct(was.value, value)}; tolerance ${describeTolerance(tol)})` }
    if (beyond(was.value, value, tol)) out.soft.push(change)
    else if (beyond(value, was.value, tol)) out.improvements.push(change)
  }
  if (skipped.length > 0) out.notes.push(`not compared (no samples in one of the runs): ${skipped.join(', ')}`)
}

/** `to` is worse than `from` beyond both the relative and the absolute tolerance. */
export function beyond(from: number, to: number, tol: ChangeTolerance): boolean {
  return to > from * (1 + tol.relative) && to - from > tol.absolute_ms
}

export function describeTolerance(tol: ChangeTolerance): string {
  return `+${Math.round(tol.relative * 100)} % and +${tol.absolute_ms} ms`
}

const round = (v: number): number => Number(v.toFixed(2))
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1))

function signedPct(from: number, to: number): string {
  if (from === 0) return 'from 0'
  const p = Math.round(((to - from) / from) * 100)
  return `${p >= 0 ? '+' : ''}${p} %`
}

/** What differs between the two runs besides their results: each makes the comparison weaker, none stops it. */
function contextNotes(baseline: RunJson, run: RunJson): string[] {
  const notes: string[] = []
  const differ = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) notes.push(`${what}: ${fmt(a)} → ${fmt(b)}`)
  }
  differ('scenario', baseline.scenario.name, run.scenario.name)
  differ('target', `${baseline.target.name} ${baseline.target.version}`.trim(), `${run.target.name} ${run.target.version}`.trim())
  differ('target flaws', baseline.target.flaws, run.target.flaws)
  differ('seed', baseline.seed, run.seed)
  differ('load', loadShape(baseline), loadShape(run))
  differ('grader', baseline.tool.grader ?? 1, run.tool.grader ?? 1)
  differ('catalog', baseline.tool.catalog, run.tool.catalog)
  if (baseline.verdict !== 'ready') notes.push(`the baseline itself is ${baseline.verdict}: what held there is compared, not its verdict`)
  differ('evidence integrity', baseline.evidence.integrity ?? 'chained', run.evidence.integrity ?? 'chained')
  const [a, b] = [baseline.load.duration_s, run.load.duration_s]
  if (Math.abs(a - b) > 0.2 * Math.max(a, b)) notes.push(`measured for ${a.toFixed(1)} s → ${b.toFixed(1)} s: percentiles of runs of different length compare loosely`)
  return notes
}

/** The load a scenario asked for (executors and rates), not what it achieved: achieved rates vary run to run. */
function loadShape(run: RunJson): string {
  return run.load.scenarios.map((s) => `${s.name} ${s.executor}${s.target_rate === undefined ? '' : ` ${s.target_rate}/s`}`).join(', ') || 'none'
}

function fmt(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.join(', ')
  return String(v)
}
