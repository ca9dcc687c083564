/**
 * Gates: the run-wide pass/fail rules (docs/architecture.md, "Verdicts"). The security gates are defaults every
 * run gets; a scenario's `thresholds` add gates, and a scenario key equal to a default key replaces
 * that default (so a board can loosen or tighten one explicitly, and the report says it did).
 *
 * A failing gate names the attack cases whose samples pushed it over the line, so the report can
 * point from "evidence coverage 99.2 %" to "escalate.tool-scope was not recorded".
 *
 * @example
 * ```ts
 * const gates = evaluateGates(metricSet, scenario.thresholds)
 * runVerdict(gates)   // 'ready' | 'not-ready'
 * ```
 */
import { ThresholdInvalid } from '../contracts/errors.ts'
import type { GateResult } from '../contracts/run-json.ts'
import { selectSeries, type MetricSet, type Series } from './metric-set.ts'
import { evaluateThreshold, parseThresholdKey, parseThresholds, type ParsedThreshold, type ThresholdMap } from './thresholds.ts'

/**
 * docs/architecture.md defaults. Legit success is judged outside fault windows (`fault:no`): during a fault the
 * target may refuse legitimate work (fail closed), which is correct; attacks get no such allowance,
 * since breaches and coverage are gated over the whole run.
 */
export const DEFAULT_GATES: Readonly<Record<string, readonly string[]>> = {
  gatecrash_breaches: ['count==0'],
  'gatecrash_block_rate{grading:must}': ['rate==1'],
  gatecrash_evidence_coverage: ['rate==1'],
  gatecrash_attribution_accuracy: ['rate==1'],
  'gatecrash_legit_success{fault:no}': ['rate>=0.999'],
  // A control a correct target must serve (MUST grading), refused: the target refuses lawful work
  // (e.g. a refund exactly at the ceiling). Legit traffic has its own allowance above.
  'gatecrash_false_denies{kind:attack}': ['count==0'],
  // A trail that was cut back or rewritten proves nothing about any attempt: not ready, whatever the
  // joins say. Unchained sources give no sample, so it does not apply to them (the report says so).
  gatecrash_evidence_integrity: ['rate==1'],
  // Who acted on whose behalf, rebuilt from the target's records alone (oracle/reconstruct.ts) for a
  // sample of legitimate calls and every failing attack. A target that records no token exchange
  // gives no sample (nothing to judge, like an unchained source's integrity; the report says so).
  gatecrash_reconstruction: ['rate==1'],
  // Issued-token checks graded by policy (attacks/catalog/issued-token-checks.ts): who acted for whom,
  // narrowing at every hop and the token's lifetime are what the approval board is told, so they
  // gate by default; the audience check (a SHOULD) is a warn a scenario may raise.
  'gatecrash_warns{case:issued.act-chain}': ['count==0'],
  'gatecrash_warns{case:issued.scope}': ['count==0'],
  'gatecrash_warns{case:issued.lifetime}': ['count==0'],
}

/** Which way a sample would have to move to make the failing threshold pass: 'high' values hurt `<`. */
function hurtingSide(t: ParsedThreshold, observed: number): 'high' | 'low' | 'any' {
  switch (t.op) {
    case '<':
    case '<=':
      return 'high'
    case '>':
    case '>=':
      return 'low'
    case '==':
      return observed > t.value ? 'high' : 'low'
    case '!=':
      return 'any'
  }
}

/**
 * The attack cases behind a failing gate. Samples that pull the aggregate the wrong way are blamed:
 * for a rate, the 0s when it should be high and the 1s when it should be low; for a counter, counted
 * samples when the count is too high; for a trend, samples beyond the threshold value. Only attack
 * samples name a case, so a gate failing on legit traffic alone names none. A counter that is too low
 * cannot point at samples that are missing, so it names the case of its filter, if any.
 *
 * Samples are folded into one series per tag set, and a tag set carries `case`, so the question is
 * asked per series: does it hold a hurting sample? Its pass count and exact min/max answer that
 * exactly as a look at every sample would.
 */
export function blameCases(t: ParsedThreshold, set: MetricSet, observed: number): string[] {
  const metric = set.metrics.get(t.metric)
  if (!metric) return []
  const side = hurtingSide(t, observed)
  const hurts = (s: Series): boolean => {
    switch (metric.type) {
      case 'rate':
        return side === 'any' || (side === 'high' ? s.passes > 0 : s.passes < s.count)
      case 'counter':
        return side !== 'low' && s.max > 0
      case 'trend':
        return side === 'any' || (side === 'high' ? s.max >= t.value : s.min <= t.value)
      default:
        return true
    }
  }
  const cases = new Set<string>()
  for (const s of selectSeries(metric, t.filter)) if (s.tags.kind === 'attack' && s.tags.case && hurts(s)) cases.add(s.tags.case)
  if (cases.size === 0 && t.filter.case) cases.add(t.filter.case)
  return [...cases].sort()
}

/** `metric{a:1,b:2}` with tags sorted and spaces dropped, so `{ fault: no }` overrides `{fault:no}`. */
function canonicalKey(key: string): string {
  const { metric, filter } = parseThresholdKey(key)
  const tags = Object.keys(filter).sort().map((k) => `${k}:${filter[k]}`)
  return tags.length === 0 ? metric : `${metric}{${tags.join(',')}}`
}

/** Defaults first (a scenario key replaces a default key in place), then the scenario's own keys. */
export function mergeGates(scenario: ThresholdMap = {}): { key: string; source: GateResult['source']; expressions: ThresholdMap[string] }[] {
  const fromScenario = new Map<string, { key: string; expressions: ThresholdMap[string] }>()
  for (const [key, expressions] of Object.entries(scenario)) {
    const canonical = canonicalKey(key)
    const twin = fromScenario.get(canonical)
    if (twin) {
      throw new ThresholdInvalid(`thresholds: '${twin.key}' and '${key}' name the same metric and filter`, {
        hint: `in thresholds['${key}']: put all expressions for one metric and filter under one key`,
      })
    }
    fromScenario.set(canonical, { key, expressions })
  }
  const merged: { key: string; source: GateResult['source']; expressions: ThresholdMap[string] }[] = []
  for (const [key, expressions] of Object.entries(DEFAULT_GATES)) {
    const override = fromScenario.get(canonicalKey(key))
    if (override) fromScenario.delete(canonicalKey(key))
    merged.push(override ? { ...override, source: 'scenario' } : { key, source: 'default', expressions })
  }
  for (const rest of fromScenario.values()) merged.push({ ...rest, source: 'scenario' })
  return merged
}

/** Evaluates defaults merged with the scenario's thresholds. Throws ThresholdInvalid on bad syntax or an unknown metric. */
export function evaluateGates(set: MetricSet, scenario: ThresholdMap = {}): GateResult[] {
  const results: GateResult[] = []
  for (const { key, source, expressions } of mergeGates(scenario)) {
    for (const t of parseThresholds({ [key]: expressions })) {
      const { ok, observed } = evaluateThreshold(t, set)
      results.push({
        metric: t.key,
        expression: t.expression,
        ok,
        observed,
        source,
        cases: ok || observed === null ? [] : blameCases(t, set, observed),
      })
    }
  }
  return results
}

/** 'ready' iff every gate holds. ('incomplete' — a run stopped early — is the run orchestrator's call.) */
export function runVerdict(gates: readonly GateResult[]): 'ready' | 'not-ready' {
  return gates.every((g) => g.ok) ? 'ready' : 'not-ready'
}

/**
 * A failing integrity gate names no attack case: it names the chains and what is wrong with each,
 * so the console and the report say which writer's trail was cut or rewritten.
 */
export function explainIntegrity(gates: GateResult[], chains: readonly { component: string; ok: boolean; problem: string | null }[]): GateResult[] {
  const broken = chains.filter((c) => !c.ok)
  if (broken.length === 0) return gates
  const detail = broken.map((c) => `chain ${c.component}: ${c.problem}`).join('; ')
  return gates.map((g) => (!g.ok && g.metric.startsWith('gatecrash_evidence_integrity') ? { ...g, detail } : g))
}
