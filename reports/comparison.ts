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

/** A change as a table row: what kind, the subject, baseline and now as words or ms, and the one-line detail (unescaped, unredacted). */
export interface ChangeRow {
  what: string
  subject: string
  baseline: string
  now: string
  detail: string
}

/** One list of the report's section: its heading, what it says when empty, and its rows. */
export interface ChangeList {
  id: 'hard' | 'soft' | 'improvements'
  title: string
  /** a sentence before the rows (the tolerance, for the soft list) */
  intro: string | null
  empty: string
  rows: ChangeRow[]
}

/** The section's verdict line after the baseline: `strong` is set (bold in the reports) when the comparison regressed. */
export function comparisonOutcome(c: RunComparison): { strong: string | null; text: string } {
  if (c.regressed) {
    return { strong: 'Regressed:', text: `${c.hard.length} hard regression${c.hard.length === 1 ? '' : 's'}${c.strict && c.soft.length ? ` and ${c.soft.length} soft (counted: strict)` : ''}.` }
  }
  return { strong: null, text: `No regression${c.soft.length ? ` (${c.soft.length} soft change${c.soft.length === 1 ? '' : 's'} beyond tolerance, not counted without strict)` : ''}.` }
}

/** Regressions, soft changes beyond tolerance, improvements: the reports' three lists, in that order. */
export function comparisonLists(c: RunComparison): ChangeList[] {
  const rows = (list: readonly RunChange[], kinds: Partial<Record<RunChange['kind'], string>> = {}): ChangeRow[] =>
    list.map((ch) => ({ what: kinds[ch.kind] ?? KIND[ch.kind], subject: ch.subject, baseline: value(ch.baseline), now: value(ch.now), detail: ch.detail }))
  return [
    { id: 'hard', title: 'Regressions', intro: null, empty: 'None: every case, gate, covered case and family the baseline held still holds.', rows: rows(c.hard) },
    {
      id: 'soft',
      title: 'Beyond tolerance',
      intro: `Latency within +${pctOf(c.tolerance.latency.relative)} and +${c.tolerance.latency.absolute_ms} ms, evidence lag within +${pctOf(c.tolerance.evidence_lag.relative)} and +${c.tolerance.evidence_lag.absolute_ms} ms, is run-to-run noise.`,
      empty: 'Nothing beyond tolerance.',
      rows: rows(c.soft),
    },
    { id: 'improvements', title: 'Improvements', intro: null, empty: 'None.', rows: rows(c.improvements, IMPROVED) },
  ]
}

/** The lead-in to the notes on what makes the two runs less comparable. */
export const COMPARISON_NOTES_LEAD = 'How the runs differ:'

/** The report's section: a table per list, so a board sees what got worse since the baseline and what got better. */
export function renderComparisonMarkdown(c: RunComparison, cell: (text: string) => string): string[] {
  const outcome = comparisonOutcome(c)
  const lines = [
    `## Compared with ${cell(c.baseline.run_id)}`,
    '',
    `Baseline: run \`${cell(c.baseline.run_id)}\` (${cell(c.baseline.scenario)} against ${cell(c.baseline.target)}, ${c.baseline.verdict}). ` +
      (outcome.strong ? `**${outcome.strong}** ${outcome.text}` : outcome.text),
  ]
  for (const l of comparisonLists(c)) {
    lines.push('', `### ${l.title}`, '')
    if (l.intro) lines.push(l.intro, '')
    if (l.rows.length === 0) lines.push(l.empty)
    else {
      lines.push('| what | subject | baseline | now | change |', '|---|---|---|---|---|')
      lines.push(...l.rows.map((r) => `| ${r.what} | \`${cell(r.subject)}\` | ${r.baseline} | ${r.now} | ${cell(r.detail)} |`))
    }
  }
  if (c.notes.length > 0) lines.push('', COMPARISON_NOTES_LEAD, '', ...c.notes.map((n) => `- ${cell(n)}`))
  return lines
}

const value = (v: string | number | null): string => (v === null ? '—' : typeof v === 'number' ? `${v} ms` : v)
const pctOf = (r: number): string => `${Math.round(r * 100)} %`
