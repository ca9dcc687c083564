/**
 * The run's Markdown report: the readiness report a board reads and signs. Rendered from run.json alone, so
 * `gatecrash report <run-dir>` can re-render any run. Order follows a reviewer's questions: is it
 * ready, what ran, which gates failed and why, which cases, what does the audit trail look like,
 * who signs.
 *
 * @example
 * ```ts
 * await writeFile(join(runDir, RUN_FILES.report), renderMarkdown(runJson))
 * ```
 */
import type { CaseRow, ControlRow, FamilyRow, FrameworkControls, GateResult, RunJson, TrendSummary } from '../harness/contracts/run-json.ts'
import type { Verdict } from '../harness/contracts/verdict.ts'
import { unsignedNote } from './bundle-note.ts'
import { CONTROL_STATUS_LABEL, CONTROLS_INTRO, evidenceGroups, frameworkSentence, NO_EVIDENCE, notExercised } from './controls-facts.ts'
import { renderComparisonMarkdown } from './comparison.ts'
import { renderFaults } from './faults.ts'
import { ms, observed, pct, rateOf } from './format.ts'
import { chainText, listedSentence, NO_CALL_RECORD, notCoveredSentence, reconstructionSentence, TRANSACTION_HEAD, transactionFacts } from './reconstruction-facts.ts'
import { redact } from './redact.ts'
import { counts, exampleSubject, fmtMs, gatesSentence, REVIEWERS, SIGN_OFF_FIELDS, VERDICT_TITLE, verdictNotes, type Note, type Rich } from './report-facts.ts'
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

/** Shared report sentences (report-facts.ts) in Markdown: code spans in backticks, the rest as table-safe text. */
const rich = (r: Rich): string => r.map((p) => (typeof p === 'string' ? cell(p) : `\`${cell(p.code)}\``)).join('')
const note = (n: Note): string => `> **${n.title}** ${rich(n.body)}`

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
  return [
    '## Gates',
    '',
    gatesSentence(list),
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
      for (const e of r.examples) {
        const s = exampleSubject(e)
        lines.push(`- ${s.kind === 'trace' ? `\`${cell(s.id!)}\`` : s.kind === 'token' ? `token \`${cell(s.id!)}\`` : 'check'} — **${e.verdict}**: ${cell(e.why)}`)
      }
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

const CONTROL_MARK: Record<ControlRow['status'], string> = { held: '✅', failed: '❌', 'not-exercised': '⬜' }

/** What stands behind a control: failures and warns by name, held ones by name while few. */
function controlEvidence(c: ControlRow): string {
  const groups = evidenceGroups(c)
  if (groups.length === 0) return NO_EVIDENCE
  return groups.map((g) => (g.named ? `${g.label}: ${g.ids.map((id) => `\`${cell(id)}\``).join(', ')}` : `${g.ids.length} ${g.label}`)).join('; ')
}

function frameworkControls(f: FrameworkControls): string[] {
  const lines = [`### ${cell(f.name)} (${cell(f.version)})`, '', `${frameworkSentence(f)} Source: ${cell(f.url)}`]
  if (f.controls.length > 0) {
    lines.push('', ...table(['', 'control', 'title', 'cases', 'result'], f.controls.map((c) => [
      CONTROL_MARK[c.status],
      `\`${cell(c.id)}\``,
      cell(c.title),
      controlEvidence(c),
      `**${CONTROL_STATUS_LABEL[c.status]}**`,
    ])))
  }
  for (const l of notExercised(f)) lines.push('', `${l.lead}: ${l.controls.map((c) => `\`${cell(c.id)}\` ${cell(c.title)}`).join('; ')}.`)
  return lines
}

/** The run's results per control framework, for a board that signs against a framework rather than a case list. */
function controls(run: RunJson): string[] {
  const list = run.controls ?? []
  if (list.length === 0) return []
  return ['## Control mapping', '', CONTROLS_INTRO, ...list.flatMap((f) => ['', ...frameworkControls(f)])]
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

/**
 * Who acted for whom, rebuilt from the target's records alone, beside what the harness did: the
 * claim "every action can be reconstructed from the audit trail", shown transaction by transaction.
 */
function reconstruction(run: RunJson): string[] {
  const r = run.reconstruction
  if (!r) return []
  const lines = ['## Reconstructed transactions', '']
  if (r.not_covered) {
    lines.push(rich(notCoveredSentence(r.not_covered)))
    return lines
  }
  const listed = listedSentence(r)
  lines.push(`${rich(reconstructionSentence(r))}${listed ? ` ${cell(listed)}` : ''}`)
  if (r.transactions.length === 0) return lines
  lines.push('', ...table([...TRANSACTION_HEAD], r.transactions.map(transactionFacts).map((t) => [
    t.matched ? '✅' : '❌',
    `\`${cell(t.trace)}\``,
    'case' in t.subject ? `\`${cell(t.subject.case)}\`` : t.subject.kind,
    `\`${cell(chainText(t.harness))}\``,
    t.rebuilt ? `\`${cell(chainText(t.rebuilt))}\`` : '—',
    t.hops.length === 0 ? '—' : t.hops.map((h) => `${cell(h.client)}: \`${h.token}\` ← \`${h.parent}\`${h.scope ? ` (held ${cell(h.scope)})` : ''}`).join('<br>'),
    t.call ? rich(t.call) : NO_CALL_RECORD,
    t.mismatch ? cell(t.mismatch) : '—',
  ])))
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
  // one block per reviewer; labels keep them separate lists
  const signer = (n: number): string[] => [`**Reviewer ${n}**`, '', ...SIGN_OFF_FIELDS.map((f) => `- ${f}: ${f === 'Name' || f === 'Role' || f === 'Date' ? '______________________________' : '__________'}`)]
  const blocks = Array.from({ length: REVIEWERS }, (_, i) => signer(i + 1))
  return ['## Sign-off', '', ...unsignedNote(), '', ...blocks.flatMap((b, i) => (i === 0 ? b : ['', ...b]))]
}

export function renderMarkdown(run: RunJson): string {
  const notes = verdictNotes(run).map(note)
  const sections = [
    [`# gatecrash readiness report: ${VERDICT_TITLE[run.verdict]}`, '', `${cell(run.scenario.name)} against ${cell(run.target.name)} ${cell(run.target.version)}, run \`${cell(run.run_id)}\`.`, ...(notes.length > 0 ? ['', ...notes] : [])],
    summary(run),
    gates(run.gates),
    run.comparison ? renderComparisonMarkdown(run.comparison, cell) : [],
    renderFaults(run),
    families(run),
    cases(run.cases),
    coverage(run),
    controls(run),
    legit(run),
    latency(run),
    evidence(run),
    reconstruction(run),
    delegation(run),
    signOff(),
  ]
  return `${sections.filter((s) => s.length > 0).map((s) => s.join('\n')).join('\n\n')}\n`
}
