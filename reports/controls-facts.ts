/**
 * What the control mapping says, apart from how a report marks it up (the Markdown report's "Control
 * mapping", report.html's): per framework, how many controls held, failed or were not exercised;
 * per control, the cases, checks and gates behind it grouped by result; the controls the run did not
 * exercise and why. Ids and titles come unescaped and unredacted; each renderer does both.
 *
 * @example
 * ```ts
 * for (const g of evidenceGroups(control)) out.push(g.named ? `${g.label}: ${g.ids.join(', ')}` : `${g.ids.length} ${g.label}`)
 * ```
 */
import type { ControlEvidenceResult, ControlRow, FrameworkControls } from '../harness/contracts/run-json.ts'

/** The section's opening sentence: what held, failed and not exercised mean. */
export const CONTROLS_INTRO =
  'Each control with the cases, checks and audit-trail gates of this run behind it: failed when one of them failed a gate, held when what ran held, not exercised when nothing behind it proved anything. Why each case evidences each control: docs/controls.md.'

/** A control's status in words (run.json's `not-exercised` reads as two). */
export const CONTROL_STATUS_LABEL: Record<ControlRow['status'], string> = { held: 'held', failed: 'failed', 'not-exercised': 'not exercised' }

/** How many of a framework's mapped controls held, failed or were not exercised. */
export function frameworkCounts(f: FrameworkControls): Record<ControlRow['status'], number> & { total: number; notInCatalog: number } {
  const n = (s: ControlRow['status']) => f.controls.filter((c) => c.status === s).length
  return { total: f.controls.length, held: n('held'), failed: n('failed'), 'not-exercised': n('not-exercised'), notInCatalog: f.not_exercised.filter((c) => c.why === 'not-in-catalog').length }
}

/** `1 of 7 mapped controls held, 1 failed, 5 not exercised.` */
export function frameworkSentence(f: FrameworkControls): string {
  const n = frameworkCounts(f)
  return `${n.held} of ${n.total} mapped controls held${n.failed ? `, ${n.failed} failed` : ''}${n['not-exercised'] ? `, ${n['not-exercised']} not exercised` : ''}.`
}

/** Up to this many held cases are named; more are counted, so a control the whole catalog speaks to stays one line. */
export const NAMED_HELD = 3

/** One result's worth of a control's evidence: named (failures and warns always, held ones while few) or only counted. */
export interface EvidenceGroup {
  result: ControlEvidenceResult
  /** `failed`, `warn`, `held`, `not covered` */
  label: string
  ids: string[]
  named: boolean
}

const EVIDENCE_ORDER: readonly ControlEvidenceResult[] = ['failed', 'warn', 'held', 'not-covered']
const EVIDENCE_LABEL: Record<ControlEvidenceResult, string> = { failed: 'failed', warn: 'warn', held: 'held', 'not-covered': 'not covered' }

/** What stands behind a control, worst first; empty when nothing of the run speaks to it ("none selected"). `namedHeld`: a page with room names more. */
export function evidenceGroups(c: ControlRow, namedHeld = NAMED_HELD): EvidenceGroup[] {
  return EVIDENCE_ORDER.map((result) => {
    const ids = c.evidence.filter((e) => e.result === result).map((e) => e.id)
    const named = result === 'failed' || result === 'warn' || (result === 'held' && ids.length <= namedHeld)
    return { result, label: EVIDENCE_LABEL[result], ids, named }
  }).filter((g) => g.ids.length > 0)
}

/** What a control with no evidence in this run says in its evidence cell. */
export const NO_EVIDENCE = 'none selected'

/** The controls of a framework this run did not exercise, in two lists by why, each with its lead-in; empty lists left out. */
export function notExercised(f: FrameworkControls): { why: FrameworkControls['not_exercised'][number]['why']; lead: string; controls: { id: string; title: string }[] }[] {
  const LEAD = {
    'not-run': 'Not exercised by this run (its cases were not selected or not covered)',
    'not-in-catalog': 'Not exercised by any case of the catalog',
  } as const
  return (['not-run', 'not-in-catalog'] as const)
    .map((why) => ({ why, lead: LEAD[why], controls: f.not_exercised.filter((c) => c.why === why).map(({ id, title }) => ({ id, title })) }))
    .filter((l) => l.controls.length > 0)
}
