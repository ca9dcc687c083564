/**
 * The end-of-run summary printed to the terminal: the verdict, volume, the security rates, p95
 * latency, every failed gate with the cases behind it and, with a baseline, what changed since it. Plain text unless `color` is set (the
 * CLI sets it for a TTY), so CI logs stay greppable.
 *
 * @example
 * ```ts
 * for (const line of renderConsoleSummary(runJson, { color: process.stdout.isTTY })) console.log(line)
 * ```
 */
import type { RunJson } from '../harness/contracts/run-json.ts'
import { renderComparisonLines } from './comparison.ts'
import { ms, observed, pct, rateOf } from './format.ts'
import { redact } from './redact.ts'

export interface ConsoleOptions {
  color?: boolean
}

const ANSI = { red: 31, green: 32, yellow: 33, bold: 1 } as const

/** Colours for a TTY, plain text otherwise (CI logs stay greppable); `gatecrash diff` paints with it too. */
export function painter(color: boolean | undefined): (code: keyof typeof ANSI, text: string) => string {
  return (code, text) => (color ? `\u001b[${ANSI[code]}m${text}\u001b[0m` : text)
}

export function renderConsoleSummary(run: RunJson, options: ConsoleOptions = {}): string[] {
  const paint = painter(options.color)
  const verdict =
    run.verdict === 'ready' ? paint('green', 'READY') : run.verdict === 'not-ready' ? paint('red', 'NOT READY') : paint('yellow', 'INCOMPLETE')
  const m = run.metrics
  const failed = run.gates.filter((g) => !g.ok)

  const lines = [
    `${paint('bold', 'gatecrash')} ${verdict}  run ${run.run_id}  ${run.scenario.name} → ${run.target.name} ${run.target.version}`,
    `  attempts ${run.load.attempts} (legit ${run.load.legit}, attacks ${run.load.attacks}) in ${run.load.duration_s.toFixed(1)} s`,
    `  block rate ${pct(rateOf(m.gatecrash_block_rate))}  evidence coverage ${pct(rateOf(m.gatecrash_evidence_coverage))}  ` +
      `attribution ${pct(rateOf(m.gatecrash_attribution_accuracy))}  legit success ${pct(rateOf(m.gatecrash_legit_success))}`,
    `  p95 http_req_duration ${m.http_req_duration.count ? `${ms(m.http_req_duration.p95)} ms` : 'n/a'}  ` +
      `deny path ${m.deny_path_duration.count ? `${ms(m.deny_path_duration.p95)} ms` : 'n/a'}`,
  ]
  const fam = run.families ?? []
  if (fam.length > 0) {
    const of = (r: string) => fam.filter((f) => f.result === r)
    const parts = [`${of('held').length} of ${fam.length} attack families held`]
    if (of('failed').length) parts.push(paint('red', `failed: ${of('failed').map((f) => f.family).join(', ')}`))
    if (of('partial').length) parts.push(`partly not covered: ${of('partial').map((f) => f.family).join(', ')}`)
    if (of('not-covered').length) parts.push(paint('yellow', `not covered: ${of('not-covered').map((f) => f.family).join(', ')}`))
    lines.push(`  ${parts.join('; ')}`)
  }
  if (run.stopped) lines.push(`  ${paint('yellow', 'stopped early')}: ${redact(run.stopped)}`)
  const missed = (run.coverage ?? []).filter((c) => !c.covered)
  if (missed.length > 0) lines.push(`  ${paint('yellow', 'not covered')} ${missed.length} of ${run.coverage!.length} cases: ${missed.map((c) => c.case).join(', ')} (the run's report says why)`)
  if (run.target.flaws.length > 0) lines.push(`  target flaws on: ${run.target.flaws.join(', ')}`)
  if (run.evidence.integrity === 'unchained') lines.push(`  ${paint('yellow', 'audit trail not tamper-evident')}: the evidence source carries no hash chain`)
  if (run.regraded) lines.push(`  re-graded by grader ${run.regraded.grader} (made with grader ${run.regraded.from_grader})${run.regraded.new_gates.length ? `; gates added since: ${run.regraded.new_gates.join(', ')}` : ''}`)
  for (const g of failed) {
    const cases = g.cases.length > 0 ? `  cases: ${g.cases.join(', ')}` : ''
    // gates that name no attack case (integrity, chaos windows) say what failed instead
    const detail = g.cases.length === 0 && g.detail ? `  ${redact(g.detail)}` : ''
    lines.push(`  ${paint('red', '✗')} ${g.metric} ${g.expression}  observed ${observed(g.observed)}${cases}${detail}`)
  }
  lines.push(
    failed.length === 0
      ? `  ${paint('green', '✓')} all ${run.gates.length} gates hold`
      : `  ${failed.length} of ${run.gates.length} gates failed`,
  )
  // last, so a CI log's tail answers both questions: ready on its own gates, and worse than the baseline or not
  if (run.comparison) lines.push(...renderComparisonLines(run.comparison, { paint }))
  return lines
}
