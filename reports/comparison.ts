/**
 * A run against its baseline, as text: the console's last lines after `gatecrash run --baseline`,
 * `gatecrash diff`'s output, and the report's "Compared with" section. Regressions first (what
 * fails the comparison), then soft changes with the tolerance they crossed, then improvements and
 * the notes that make the two runs less comparable.
 *
 * @example
 * ```ts
 * for (const line of renderComparisonLines(run.comparison)) console.log(line)
 * ```
 */
import type { RunChange, RunComparison } from '../harness/contracts/run-json.ts'
import { redact } from './redact.ts'

const KIND: Record<RunChange['kind'], string> = { case: 'case', gate: 'gate', coverage: 'coverage lost', family: 'family', latency: 'latency', 'evidence-lag': 'evidence lag' }
const IMPROVED: Partial<Record<RunChange['kind'], string>> = { coverage: 'coverage gained' }

export interface ComparisonLineOptions {
  /** paint the verdict words (a TTY) */
  paint?: (code: 'red' | 'green' | 'yellow' | 'bold', text: string) => string
}

/** One line per change, indented for the console summary. */
export function renderComparisonLines(c: RunComparison, options: ComparisonLineOptions = {}): string[] {
  const paint = options.paint ?? ((_code, text) => text)
  const softCounts = c.strict ? 'counted as regressions: --strict' : 'reported only; --strict counts them'
  const verdict = c.regressed
    ? paint('red', `REGRESSED against ${c.baseline.run_id}`)
    : paint('green', `no regression against ${c.baseline.run_id}`)
  const lines = [`  ${verdict}: ${c.hard.length} hard, ${c.soft.length} soft (${softCounts}), ${c.improvements.length} improved`]
  const line = (mark: string, ch: RunChange, kinds: Partial<Record<RunChange['kind'], string>> = {}) => `    ${mark} ${kinds[ch.kind] ?? KIND[ch.kind]} ${ch.subject}: ${redact(ch.detail)}`
  for (const ch of c.hard) lines.push(line(paint('red', '✗'), ch))
  for (const ch of c.soft) lines.push(line(c.strict ? paint('red', '✗') : paint('yellow', '~'), ch))
  for (const ch of c.improvements) lines.push(line(paint('green', '+'), ch, IMPROVED))
  for (const n of c.notes) lines.push(`    note: ${redact(n)}`)
  return lines
}

/** The report's section: a table per list, so a board sees what got worse since the baseline and what got better. */
export function renderComparisonMarkdown(c: RunComparison, cell: (text: string) => string): string[] {
  const rows = (list: readonly RunChange[], kinds: Partial<Record<RunChange['kind'], string>> = {}) =>
    [
      '| what | subject | baseline | now | change |',
      '|---|---|---|---|---|',
      ...list.map((ch) => `| ${kinds[ch.kind] ?? KIND[ch.kind]} | \`${cell(ch.subject)}\` | ${value(ch.baseline)} | ${value(ch.now)} | ${cell(ch.detail)} |`),
    ]
  const lines = [
    `## Compared with ${cell(c.baseline.run_id)}`,
    '',
    `Baseline: run \`${cell(c.baseline.run_id)}\` (${cell(c.baseline.scenario)} against ${cell(c.baseline.target)}, ${c.baseline.verdict}). ` +
      (c.regressed
        ? `**Regressed:** ${c.hard.length} hard regression${c.hard.length === 1 ? '' : 's'}${c.strict && c.soft.length ? ` and ${c.soft.length} soft (counted: strict)` : ''}.`
        : `No regression${c.soft.length ? ` (${c.soft.length} soft change${c.soft.length === 1 ? '' : 's'} beyond tolerance, not counted without strict)` : ''}.`),
  ]
  lines.push('', '### Regressions', '')
  if (c.hard.length === 0) lines.push('None: every case, gate, covered case and family the baseline held still holds.')
  else lines.push(...rows(c.hard))
  lines.push('', '### Beyond tolerance', '', `Latency within +${pctOf(c.tolerance.latency.relative)} and +${c.tolerance.latency.absolute_ms} ms, evidence lag within +${pctOf(c.tolerance.evidence_lag.relative)} and +${c.tolerance.evidence_lag.absolute_ms} ms, is run-to-run noise.`, '')
  if (c.soft.length === 0) lines.push('Nothing beyond tolerance.')
  else lines.push(...rows(c.soft))
  lines.push('', '### Improvements', '')
  if (c.improvements.length === 0) lines.push('None.')
  else lines.push(...rows(c.improvements, IMPROVED))
  if (c.notes.length > 0) lines.push('', 'How the runs differ:', '', ...c.notes.map((n) => `- ${cell(n)}`))
  return lines
}

const value = (v: string | number | null): string => (v === null ? '—' : typeof v === 'number' ? `${v} ms` : v)
const pctOf = (r: number): string => `${Math.round(r * 100)} %`
