/**
 * The run's results by control framework (docs/controls.md): which controls the run gave evidence
 * for, how each came out, and which it could not speak to. Judged from what the run already
 * decided, never anew, so it agrees with the families and the gates:
 * - a case or check is `failed` when it is behind a failed gate, `not-covered` when none of its
 *   attempts proved anything (the coverage rule of run/finalize.ts), `warn` when it was exercised and
 *   some attempt was accepted or wrongly refused (warn, false-deny, breach) without a gate failing
 *   on it, else `held`;
 * - except the audit-trail gates the mapping names (evidence coverage, attribution, integrity): their
 *   failures are the audit controls' (AU-2, AU-3, AU-9…), shown there by the gate. A refusal that
 *   held but was not recorded fails event logging, not access enforcement;
 * - a gate is `failed` when it failed, `not-covered` when it had no sample (e.g. the integrity gate
 *   of an unchained source), else `held`;
 * - a control is `failed` when any of its evidence failed, `not-exercised` when none of it proved
 *   anything, else `held`.
 * A pure function of the mapping, the case rows and the gates, so `gatecrash report` re-grades it.
 */
import type { ControlEvidence, Framework } from '../contracts/controls.ts'
import type { CaseRow, ControlEvidenceResult, ControlRow, FrameworkControls, GateResult } from '../contracts/run-json.ts'
import type { Verdict } from '../contracts/verdict.ts'

/** what the target decided wrongly, as against what it failed to record (unrecorded, misattributed: the audit gates' part) */
const DECISION_PROBLEMS: readonly Verdict[] = ['warn', 'false-deny', 'breach']

function caseResult(row: CaseRow, failing: ReadonlySet<string>): ControlEvidenceResult {
  if (failing.has(row.id)) return 'failed'
  const proving = row.attempts - (row.counts['not-covered'] ?? 0) - (row.counts.error ?? 0)
  if (proving <= 0) return 'not-covered'
  return DECISION_PROBLEMS.some((v) => (row.counts[v] ?? 0) > 0) ? 'warn' : 'held'
}

function gateResult(g: GateResult): ControlEvidenceResult {
  if (!g.ok) return 'failed'
  return g.observed === null ? 'not-covered' : 'held'
}

/** A gate's metric without its tag filter: `gatecrash_warns{case:x}` → `gatecrash_warns`. */
const metricName = (key: string): string => key.split('{')[0]

export function controlsOf(
  frameworks: readonly Framework[],
  mapping: readonly ControlEvidence[],
  cases: readonly CaseRow[],
  gates: readonly GateResult[],
): FrameworkControls[] {
  const auditGates = new Set(mapping.filter((m) => m.kind === 'gate').map((m) => m.id))
  const failing = new Set(gates.filter((g) => !g.ok && !auditGates.has(metricName(g.metric))).flatMap((g) => g.cases))
  const rows = new Map(cases.map((r) => [r.id, r]))
  return frameworks.map((f) => {
    const byControl = new Map<string, ControlRow['evidence']>()
    const mapped = new Set<string>()
    for (const m of mapping) {
      for (const id of m.controls[f.id] ?? []) {
        mapped.add(id)
        const list = byControl.get(id) ?? []
        if (m.kind === 'case') {
          const row = rows.get(m.id)
          // a case the scenario did not select has no row: it says nothing about this run
          if (row) list.push({ kind: 'case', id: m.id, result: caseResult(row, failing) })
        } else {
          for (const g of gates.filter((x) => metricName(x.metric) === m.id)) list.push({ kind: 'gate', id: g.metric, result: gateResult(g) })
        }
        byControl.set(id, list)
      }
    }
    const controls: ControlRow[] = f.controls
      .filter((c) => mapped.has(c.id))
      .map((c) => {
        const evidence = byControl.get(c.id) ?? []
        const status = evidence.some((e) => e.result === 'failed') ? 'failed' : evidence.some((e) => e.result !== 'not-covered') ? 'held' : 'not-exercised'
        return { id: c.id, title: c.title, status, evidence }
      })
    const notRun = new Set(controls.filter((c) => c.status === 'not-exercised').map((c) => c.id))
    const not_exercised = f.controls
      .filter((c) => !mapped.has(c.id) || notRun.has(c.id))
      .map((c) => ({ id: c.id, title: c.title, why: mapped.has(c.id) ? ('not-run' as const) : ('not-in-catalog' as const) }))
    return { framework: f.id, name: f.name, version: f.version, url: f.url, controls, not_exercised }
  })
}
