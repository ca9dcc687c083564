/**
 * The run's Markdown report: the readiness report a board reads and signs. Rendered from run.json alone, so
 * `gatecrash report <run-dir>` can re-render any run. Order follows a reviewer's questions: is it
 * ready, what ran, which gates failed and why, which cases, what does the audit trail look like,
 * who signs.
 *
 * @example
 * ```ts
 * await writeFile(join(runDir, 'report.md'), renderMarkdown(runJson))
 * ```
 */
import type { CaseRow, FamilyRow, GateResult, RunJson, TrendSummary } from '../harness/contracts/run-json.ts'
import type { Verdict } from '../harness/contracts/verdict.ts'
import { renderComparisonMarkdown } from './comparison.ts'
import { renderFaults } from './faults.ts'
import { ms, observed, pct, rateOf } from './format.ts'
import { redact } from './redact.ts'

const VERDICT_TITLE: Record<RunJson['verdict'], string> = { ready: 'READY', 'not-ready': 'NOT READY', incomplete: 'INCOMPLETE' }
const VERDICT_MARK: Record<Verdict, string> = {
  pass: '✅',
  'not-covered': '➖',
  error: '➖',
  warn: '⚠️',
  'false-deny': '❌',
  unrecorded: '❌',
  misattributed: '❌',
  breach: '❌',
}

/** A table cell: no pipes or line breaks from free text, and no token-shaped strings. */
function cell(text: string): string {
  return redact(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)]
}

const counts = (c: Partial<Record<Verdict, number>>): string =>
  Object.entries(c).map(([v, n]) => `${v} ${n}`).join(', ') || '—'

function summary(run: RunJson): string[] {
  const load = run.load
  const lines = [
    '## Run',
    '',
    ...table(['', ''], [
      ['run id', `\`${cell(run.run_id)}\``],
      ['scenario', `${cell(run.scenario.name)} (\`${cell(run.scenario.file)}\`)`],
      ['target', `${cell(run.target.name)} ${cell(run.target.version)} — issuer \`${cell(run.target.issuer)}\``],
      ['seed', String(run.seed)],
      ['time', `${run.started_at} → ${run.ended_at} (${load.duration_s.toFixed(1)} s)`],
      ['population', `${run.population.tenants} tenants, ${run.population.principals} principals, ${run.population.agents} agents, ${run.population.sub_agents} sub-agents, delegation depth ≤ ${run.population.max_depth}`],
      ['attempts', `${load.attempts} (${load.legit} legitimate, ${load.attacks} attacks)`],
      ['tool', `gatecrash ${cell(run.tool.version)}, catalog ${cell(run.tool.catalog)}, grader ${run.tool.grader ?? 1}, Node ${cell(run.tool.node)}`],
    ]),
  ]
  if (run.target.flaws.length > 0) {
    lines.push('', `> **Flawed target.** The target ran with flaw switches on (${run.target.flaws.map((f) => `\`${cell(f)}\``).join(', ')}): this run is a self-test, not evidence about a deployment.`)
  }
  if (run.stopped) lines.push('', `> **Stopped early:** ${cell(run.stopped)}. Results cover only what ran.`)
  if (load.scenarios.length > 0) {
    lines.push('', ...table(
      ['load scenario', 'executor', 'target rate', 'achieved rate', 'iterations', 'dropped', 'scheduling lag p50 / p99', 'peak VUs'],
      load.scenarios.map((s) => [
        cell(s.name),
        cell(s.executor),
        s.target_rate === undefined ? '—' : `${s.target_rate}/s`,
        `${s.achieved_rate.toFixed(1)}/s`,
        String(s.iterations),
        String(s.dropped_iterations),
        s.lag_p50_ms === undefined ? '—' : `${fmtMs(s.lag_p50_ms)} / ${fmtMs(s.lag_p99_ms ?? s.lag_p50_ms)} ms`,
        s.peak_vus === undefined ? '—' : String(s.peak_vus),
      ]),
    ))
  }
  return lines
}

function gates(list: readonly GateResult[]): string[] {
  const failed = list.filter((g) => !g.ok).length
  return [
    '## Gates',
    '',
    failed === 0 ? `All ${list.length} gates hold.` : `${failed} of ${list.length} gates failed.`,
    '',
    ...table(['', 'gate', 'expression', 'observed', 'source', 'cases behind a failure'], list.map((g) => [
      g.ok ? '✅' : '❌',
      `\`${cell(g.metric)}\``,
      `\`${cell(g.expression)}\``,
      observed(g.observed),
      g.source,
      [g.cases.length === 0 ? '—' : g.cases.map((c) => `\`${cell(c)}\``).join(', '), ...(g.detail && !g.ok ? [cell(g.detail)] : [])].join(' — '),
    ])),
  ]
}

function cases(rows: readonly CaseRow[]): string[] {
  if (rows.length === 0) return ['## Attack cases', '', 'No attack cases were selected for this run.']
  const lines = [
    '## Attack cases',
    '',
    ...table(['', 'case', 'class', 'grading', 'attempts', 'verdict', 'counts', 'refs'], rows.map((r) => [
      VERDICT_MARK[r.verdict],
      `\`${cell(r.id)}\``,
      cell(r.class),
      cell(r.grading),
      String(r.attempts),
      `**${r.verdict}**`,
      cell(counts(r.counts)),
      cell(r.refs.join('; ')),
    ])),
  ]
  const failing = rows.filter((r) => r.examples.length > 0)
  if (failing.length > 0) {
    lines.push('', '### Failing examples', '', 'Look these up in the target\'s audit trail by trace id.')
    for (const r of failing) {
      lines.push('', `**\`${cell(r.id)}\`**`, '')
      // an issued-token check judges a token, not a request: it is named by hash
      for (const e of r.examples) lines.push(`- ${e.trace_id ? `\`${cell(e.trace_id)}\`` : e.token_hash ? `token \`${cell(e.token_hash)}\`` : 'check'} — **${e.verdict}**: ${cell(e.why)}`)
    }
  }
  return lines
}

const FAMILY_MARK: Record<FamilyRow['result'], string> = { held: '✅', failed: '❌', partial: '◐', 'not-covered': '⬜' }

/** Which families of attack held, at a glance, before the case-by-case table. */
function families(run: RunJson): string[] {
  const list = run.families ?? []
  if (list.length === 0) return []
  const n = (r: FamilyRow['result']) => list.filter((f) => f.result === r).length
  return [
    '## Attack families',
    '',
    `${n('held')} of ${list.length} families held${n('failed') ? `, ${n('failed')} failed` : ''}${n('partial') ? `, ${n('partial')} held where exercised but are partly not covered` : ''}${n('not-covered') ? `, ${n('not-covered')} not covered` : ''}.`,
    '',
    ...table(['', 'family', 'class', 'cases', 'attempts', 'result', 'failed / not covered'], list.map((f) => [
      FAMILY_MARK[f.result],
      `\`${cell(f.family)}\``,
      cell(f.class),
      String(f.cases.length),
      String(f.attempts),
      `**${f.result}**`,
      cell([...f.failed.map((c) => `${c} failed`), ...f.not_covered.map((c) => `${c} not covered`)].join('; ')),
    ])),
  ]
}

/** Every case asked for: a board reads "not covered" as a gap, so each one says why. */
function coverage(run: RunJson): string[] {
  const list = run.coverage ?? []
  if (list.length === 0) return []
  const missed = list.filter((c) => !c.covered)
  const lines = ['## Coverage', '', `${list.length - missed.length} of ${list.length} attack cases asked for were exercised against this target.`]
  if (missed.length > 0) {
    lines.push('', 'Not covered (a gap in what this run proves, never a pass):', '', ...table(['case', 'attempts', 'why'], missed.map((c) => [`\`${cell(c.case)}\``, String(c.attempts), cell(c.reason ?? '')])))
  }
  return lines
}

function legit(run: RunJson): string[] {
  const success = rateOf(run.metrics.gatecrash_legit_success)
  return ['## Legitimate traffic', '', `${run.legit.attempts} attempts; success ${pct(success)}; ${cell(counts(run.legit.counts))}.`]
}

function latency(run: RunJson): string[] {
  const row = (name: string, t: TrendSummary): string[] =>
    [`\`${name}\``, String(t.count), ...[t.min, t.avg, t.med, t.p90, t.p95, t.p99, t.max].map((v) => (t.count === 0 ? '—' : ms(v)))]
  return [
    '## Latency (ms, from the scheduled time)',
    '',
    ...table(['trend', 'count', 'min', 'avg', 'med', 'p90', 'p95', 'p99', 'max'], [
      row('http_req_duration', run.metrics.http_req_duration),
      row('deny_path_duration', run.metrics.deny_path_duration),
    ]),
  ]
}

function evidence(run: RunJson): string[] {
  const e = run.evidence
  const lines = [
    '## Evidence',
    '',
    `${e.records} records read; ${e.matched} joined to attempts; ${e.late} arrived after the settle window. ` +
      `Evidence coverage ${pct(rateOf(run.metrics.gatecrash_evidence_coverage))}, attribution accuracy ${pct(rateOf(run.metrics.gatecrash_attribution_accuracy))}.`,
  ]
  if (e.integrity === 'unchained') lines.push('', `The evidence source${e.source ? ` (\`${cell(e.source)}\`)` : ''} carries no hash chain: audit trail not tamper-evident.`)
  if (e.unmapped && e.unmapped.count > 0) {
    const more = e.unmapped.count > e.unmapped.examples.length ? '; …' : ''
    lines.push('', `**${e.unmapped.count} ${e.unmapped.count === 1 ? 'line' : 'lines'} could not be mapped** to evidence records (an attempt whose line it was counts as unrecorded): ${e.unmapped.examples.map(cell).join('; ')}${more}.`)
  }
  if (e.mapping_warnings?.length) lines.push('', 'Reading the evidence:', '', ...e.mapping_warnings.map((w) => `- ${cell(w)}`))
  if (e.outages?.length) {
    lines.push('', `**The evidence source could not be read ${e.outages.length === 1 ? 'once' : `${e.outages.length} times`} while measuring** (what it delivered before stays; the final read after the settle window decides what is graded, and an attempt whose record it never delivered counts as unrecorded):`, '')
    lines.push(...table(['from', 'to', 'failed polls', 'error'], e.outages.map((o) => [o.from, o.to ?? 'end of measuring', String(o.polls), cell(o.error)])))
  }
  if (e.chains.length > 0) {
    lines.push('', `Integrity: every writer's hash chain is checked from the head read before the run (links and hashes), against every head the source reported during and after the run (nothing cut back or rewritten).`)
    lines.push('', ...table(['', 'hash chain (writer)', 'records', 'problem'], e.chains.map((c) => [
      c.ok ? '✅' : '❌', `\`${cell(c.component)}\``, String(c.records), c.problem ? cell(c.problem) : '—',
    ])))
  }
  return lines
}

function delegation(run: RunJson): string[] {
  if (run.delegation_samples.length === 0) return []
  return [
    '## Sample delegation chains',
    '',
    ...run.delegation_samples.map((d) => `- \`${cell([d.principal, ...d.chain].join(' → '))}\` — scope \`${cell(d.scope)}\``),
  ]
}

function signOff(): string[] {
  // One block per owner a board usually needs (IAM, security, compliance); labels keep them separate lists.
  const signer = (n: number): string[] => [
    `**Reviewer ${n}**`,
    '',
    '- Name: ______________________________',
    '- Role: ______________________________',
    '- Date: ______________________________',
    '- Decision (approve / reject): __________',
  ]
  return [
    '## Sign-off',
    '',
    '> **Unsigned bundle.** This version of gatecrash does not sign the run directory: nothing in it proves these files are the ones the run wrote. Keep the bundle under your own integrity controls until signed bundles (`gatecrash verify`) are available.',
    '',
    ...signer(1), '', ...signer(2), '', ...signer(3),
  ]
}

/**
 * What stands next to the verdict: the trail's integrity, and a re-grade with gates the run was not
 * made with. A board must not read READY without them.
 */
function verdictNotes(run: RunJson): string[] {
  const notes: string[] = []
  const broken = run.evidence.chains.filter((c) => !c.ok)
  if (run.evidence.integrity === 'unchained') {
    notes.push('> **Audit trail not tamper-evident.** The evidence source carries no hash chain, so this run cannot show that the records were not cut or rewritten afterwards; the integrity gate does not apply.')
  } else if (broken.length > 0) {
    notes.push(`> **Audit trail broken or rewritten.** ${broken.map((c) => `Chain \`${cell(c.component)}\`: ${cell(c.problem ?? '')}`).join(' ')}`)
  }
  if (run.regraded) {
    const r = run.regraded
    const added = r.new_gates.length > 0 ? ` Gates it was not judged by when it was made: ${r.new_gates.map((g) => `\`${cell(g)}\``).join(', ')}.` : ''
    notes.push(`> **Re-graded** on ${cell(r.at)} by grader ${r.grader}; the run was made with grader ${r.from_grader}.${added}`)
  }
  return notes.flatMap((n, i) => (i === 0 ? [n] : ['', n]))
}

export function renderMarkdown(run: RunJson): string {
  const notes = verdictNotes(run)
  const sections = [
    [`# gatecrash readiness report: ${VERDICT_TITLE[run.verdict]}`, '', `${cell(run.scenario.name)} against ${cell(run.target.name)} ${cell(run.target.version)}, run \`${cell(run.run_id)}\`.`, ...(notes.length > 0 ? ['', ...notes] : [])],
    summary(run),
    gates(run.gates),
    run.comparison ? renderComparisonMarkdown(run.comparison, cell) : [],
    renderFaults(run),
    families(run),
    cases(run.cases),
    coverage(run),
    legit(run),
    latency(run),
    evidence(run),
    delegation(run),
    signOff(),
  ]
  return `${sections.filter((s) => s.length > 0).map((s) => s.join('\n')).join('\n\n')}\n`
}

function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1)
}
