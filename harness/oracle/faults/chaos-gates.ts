/**
 * The chaos gates (docs/architecture.md "Chaos": during and after every fault, no attack succeeds, and every
 * attempt still ends up in evidence or the target records the gap), one row per fault window so a
 * failure names it: `gatecrash_breaches{fault:pause replay-store 10s–20s} count==0`, observed 3,
 * cases `replay.dpop-jti-reuse`. Time to recover is gated only where the scenario set
 * `recoverWithin`; a fault that could not be injected fails its own row (nothing was proven).
 */
import type { GateResult } from '../../contracts/run-json.ts'
import type { Recovery } from './recovery.ts'
import type { Tally, WindowStats } from './window-stats.ts'

function examples(t: Tally): string {
  const shown = t.examples.map((e) => `trace ${e.trace_id} (${e.what}: ${e.verdict})`)
  return shown.join('; ') + (t.count > shown.length ? `; ${t.count - shown.length} more` : '')
}

const casesOf = (t: Tally): string[] => [...t.cases].sort()

export function chaosGates(stats: readonly WindowStats[], recovery: ReadonlyMap<string, Recovery>): GateResult[] {
  const gates: GateResult[] = []
  for (const s of stats) {
    const w = s.window
    const tag = (metric: string): string => `${metric}{fault:${w.label}}`
    if (w.start === null) continue // the run ended before this fault's time: nothing to judge
    if (w.error !== null) {
      gates.push({ metric: tag('gatecrash_fault_injected'), expression: 'value==1', ok: false, observed: 0, source: 'default', cases: [], window: w.label, detail: w.error })
      continue
    }
    gates.push({
      metric: tag('gatecrash_breaches'),
      expression: 'count==0',
      ok: s.failOpen.count === 0,
      observed: s.failOpen.count,
      source: 'default',
      cases: casesOf(s.failOpen),
      window: w.label,
      ...(s.failOpen.count > 0 ? { detail: `failed open: ${s.failOpen.count} attack(s) accepted during ${w.label}: ${examples(s.failOpen)}` } : {}),
    })
    const complete = s.judged === 0 ? null : (s.judged - s.unrecorded.count) / s.judged
    gates.push({
      metric: tag('gatecrash_evidence_complete'),
      expression: 'rate==1',
      ok: s.unrecorded.count === 0,
      observed: complete,
      source: 'default',
      cases: casesOf(s.unrecorded),
      window: w.label,
      ...(s.unrecorded.count > 0
        ? { detail: `${s.unrecorded.count} attempt(s) made during ${w.label} have no evidence record and no recorded gap: ${examples(s.unrecorded)}` }
        : s.gapCovered > 0 ? { detail: `${s.gapCovered} attempt(s) covered by the target's evidence-gap records` } : {}),
    })
    if (w.recover_within_ms !== null) {
      const r = recovery.get(w.id) ?? { ttr_s: null, recovered: null }
      const limit = w.recover_within_ms / 1000
      const ok = r.recovered === null || (r.ttr_s !== null && r.ttr_s <= limit)
      gates.push({
        metric: tag('gatecrash_time_to_recover'),
        expression: `value<=${limit}`,
        ok,
        observed: r.ttr_s,
        source: 'scenario',
        cases: [],
        window: w.label,
        ...(ok ? {} : { detail: `legitimate success did not come back above its threshold within ${limit} s of ${w.label} healing` }),
      })
    }
  }
  return gates
}
