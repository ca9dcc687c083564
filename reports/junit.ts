/**
 * junit.xml: the run in the Ant JUnit format that Jenkins, GitLab and the GitHub test reporters
 * read, so a pipeline shows which attack cases and gates failed without opening the report.
 * Rendered from run.json alone, like the Markdown report, so `gatecrash report <run-dir>` rewrites it.
 *
 * The pass/fail rule is the run's own: gates decide readiness, so a case fails only when a failed
 * gate names it in its `cases` (never judged anew here), and a READY run is all green. A case no gate
 * judges (an ungated warn) passes with its verdict and examples in system-out; a case that was not
 * covered is skipped with the reason, a gap rather than a pass. One testsuite for the gates, then
 * one per attack class; a run stopped early adds an erroring `run complete` testcase, so only a
 * READY run is free of failures and errors.
 *
 * @example
 * ```ts
 * await writeFile(join(runDir, RUN_FILES.junit), renderJunit(runJson))
 * ```
 */
import type { CaseRow, GateResult, RunJson } from '../harness/contracts/run-json.ts'
import type { Verdict } from '../harness/contracts/verdict.ts'
import { VERDICT_COUNTERS } from '../harness/oracle/metrics.ts'
import { observed } from './format.ts'
import { redact } from './redact.ts'
import { xmlAttr, xmlText } from './xml-escape.ts'

/** One testcase before it is written: its outcome and the text a CI page shows for it. */
interface TestCase {
  name: string
  classname: string
  outcome: { kind: 'passed' } | { kind: 'failure' | 'error'; message: string; type: string; text: string } | { kind: 'skipped'; message: string }
  out?: string
}

interface Suite {
  name: string
  cases: TestCase[]
}

/** Free text passed through redaction first: the escaper keeps markup out, redaction keeps tokens out. */
const text = (s: string): string => xmlText(redact(s))
const attr = (s: string): string => xmlAttr(redact(s))

const counts = (c: Partial<Record<Verdict, number>>): string =>
  Object.entries(c).map(([v, n]) => `${v} ${n}`).join(', ') || 'none'

const gateName = (g: GateResult): string => `${g.metric} ${g.expression}${g.window ? ` [${g.window}]` : ''}`
const gateLine = (g: GateResult): string => `${gateName(g)}: observed ${observed(g.observed)}`

/** An example as the target's audit trail can be searched for it: trace id, or token hash for an issued-token check. */
function example(e: CaseRow['examples'][number]): string {
  const handle = e.trace_id ? `trace ${e.trace_id}` : e.token_hash ? `token sha-256 ${e.token_hash}` : 'check'
  return `- ${handle} — ${e.verdict}: ${e.why}`
}

function caseSummary(row: CaseRow): string[] {
  return [
    `${row.id} (${row.class}, ${row.grading}): ${row.verdict}`,
    `rule: ${row.refs.join('; ') || 'none listed'}`,
    `attempts: ${row.attempts} (${counts(row.counts)})`,
  ]
}

function caseTest(row: CaseRow, failedGates: readonly GateResult[], notCovered: string | undefined): TestCase {
  const classname = `gatecrash.${row.class}`
  const examples = row.examples.length > 0 ? ['examples (look them up in the target\'s audit trail):', ...row.examples.map(example)] : []
  if (failedGates.length > 0) {
    return {
      name: row.id,
      classname,
      outcome: {
        kind: 'failure',
        // a latency gate can blame cases whose every attempt was refused: then the gate is the whole story
        type: row.verdict === 'pass' ? 'gate' : row.verdict,
        message: `${row.verdict}: fails ${failedGates.map(gateLine).join('; ')}`,
        text: [...caseSummary(row), 'failed gates:', ...failedGates.map((g) => `- ${gateLine(g)}`), ...examples].join('\n'),
      },
    }
  }
  if (notCovered !== undefined) return { name: row.id, classname, outcome: { kind: 'skipped', message: `not covered: ${notCovered}` }, out: caseSummary(row).join('\n') }
  // passed; anything worse than pass here is one no gate judges, and says so rather than hiding it
  const counter = VERDICT_COUNTERS[row.verdict]
  const ungated = row.verdict === 'pass' ? [] : [`no gate judges this verdict${counter ? ` (a scenario threshold ${counter}{case:${row.id}}: ['count==0'] would make it fail)` : ''}`]
  return { name: row.id, classname, outcome: { kind: 'passed' }, out: [...caseSummary(row), ...ungated, ...examples].join('\n') }
}

function gateTest(g: GateResult): TestCase {
  const lines = [
    `${gateName(g)}: ${g.ok ? 'holds' : 'failed'}`,
    `observed: ${observed(g.observed)}`,
    `source: ${g.source}`,
    ...(g.window ? [`fault window: ${g.window}`] : []),
    ...(g.cases.length > 0 ? [`cases behind the failure: ${g.cases.join(', ')}`] : []),
    ...(g.detail && !g.ok ? [`detail: ${g.detail}`] : []),
  ]
  const base = { name: gateName(g), classname: 'gatecrash.gates' }
  if (g.ok) return { ...base, outcome: { kind: 'passed' }, out: lines.join('\n') }
  return { ...base, outcome: { kind: 'failure', type: 'gate', message: `${gateLine(g)}${g.cases.length > 0 ? ` (${g.cases.join(', ')})` : ''}`, text: lines.join('\n') } }
}

/** The suites in report order: gates first (they are the verdict), then attack classes as the case table lists them. */
export function junitSuites(run: RunJson): Suite[] {
  const failedGates = run.gates.filter((g) => !g.ok)
  // runs made before coverage was reported: a row that never proved anything is what `not-covered` means
  const notCovered = new Map((run.coverage ?? run.cases.filter((r) => r.verdict === 'not-covered').map((r) => ({ case: r.id, covered: false, reason: 'never exercised' })))
    .filter((c) => !c.covered).map((c) => [c.case, c.reason ?? 'not exercised']))
  const gates: Suite = { name: 'gates', cases: run.gates.map(gateTest) }
  if (run.stopped) {
    gates.cases.push({ name: 'run complete', classname: 'gatecrash.run', outcome: { kind: 'error', type: 'incomplete', message: `stopped early: ${run.stopped}`, text: 'Results cover only what ran.' } })
  }
  const byClass = new Map<string, Suite>()
  for (const row of run.cases) {
    const suite = byClass.get(row.class) ?? { name: row.class, cases: [] }
    suite.cases.push(caseTest(row, failedGates.filter((g) => g.cases.includes(row.id)), notCovered.get(row.id)))
    byClass.set(row.class, suite)
  }
  return [gates, ...byClass.values()]
}

function properties(run: RunJson): [string, string][] {
  return [
    ['run_id', run.run_id],
    ['verdict', run.verdict],
    ['scenario', run.scenario.name],
    ['scenario_file', run.scenario.file],
    ['seed', String(run.seed)],
    ['target', `${run.target.name} ${run.target.version}`],
    ['issuer', run.target.issuer],
    ...(run.target.flaws.length > 0 ? [['target_flaws', run.target.flaws.join(', ')] as [string, string]] : []),
    ['gatecrash', run.tool.version],
    ['catalog', run.tool.catalog],
    ['grader', String(run.tool.grader ?? 1)],
    ['started_at', run.started_at],
    ['ended_at', run.ended_at],
    ...(run.stopped ? [['stopped', run.stopped] as [string, string]] : []),
    ...(run.regraded ? [['regraded', `${run.regraded.at} by grader ${run.regraded.grader} (made with grader ${run.regraded.from_grader})`] as [string, string]] : []),
  ]
}

const tally = (cases: readonly TestCase[], kind: TestCase['outcome']['kind']): number => cases.filter((c) => c.outcome.kind === kind).length

function testcase(c: TestCase): string[] {
  const open = `    <testcase name="${attr(c.name)}" classname="${attr(c.classname)}" time="0"`
  const out = c.out ? [`      <system-out>${text(c.out)}</system-out>`] : []
  const o = c.outcome
  if (o.kind === 'passed' && out.length === 0) return [`${open}/>`]
  const body =
    o.kind === 'passed' ? [] :
    o.kind === 'skipped' ? [`      <skipped message="${attr(o.message)}"/>`] :
    [`      <${o.kind} message="${attr(o.message)}" type="${attr(o.type)}">${text(o.text)}</${o.kind}>`]
  return [`${open}>`, ...body, ...out, '    </testcase>']
}

/**
 * Every testcase says time 0: the cases run interleaved over the whole measured phase, so no share
 * of it is any one case's; the run's length is on <testsuites>.
 */
export function renderJunit(run: RunJson): string {
  const suites = junitSuites(run)
  const all = suites.flatMap((s) => s.cases)
  const props = properties(run).map(([name, value]) => `      <property name="${attr(name)}" value="${attr(value)}"/>`)
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`gatecrash ${run.scenario.name} → ${run.target.name}`)}" tests="${all.length}" failures="${tally(all, 'failure')}" errors="${tally(all, 'error')}" skipped="${tally(all, 'skipped')}" time="${run.load.duration_s.toFixed(3)}">`,
  ]
  suites.forEach((s, id) => {
    lines.push(
      `  <testsuite name="${attr(s.name)}" id="${id}" tests="${s.cases.length}" failures="${tally(s.cases, 'failure')}" errors="${tally(s.cases, 'error')}" skipped="${tally(s.cases, 'skipped')}" time="0" timestamp="${attr(run.started_at)}">`,
      // the run's identity once, on the gates suite: the class suites are parts of the same run
      ...(id === 0 ? ['    <properties>', ...props, '    </properties>'] : []),
      ...s.cases.flatMap(testcase),
      '  </testsuite>',
    )
  })
  lines.push('</testsuites>')
  return `${lines.join('\n')}\n`
}
