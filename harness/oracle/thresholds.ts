/**
 * k6's threshold grammar, so k6 users can read and write gatecrash gates unchanged:
 *
 *   key        := metric | metric "{" tag ":" value ("," tag ":" value)* "}"
 *   expression := aggregation operator number
 *   aggregation:= count | rate | value | avg | min | max | med | p(N)     (N may be decimal, 0–100)
 *   operator   := < | <= | > | >= | == | != | ===                          (=== is k6's alias of ==)
 *
 * A key maps to a list of expressions, each a string or `{ threshold, abortOnFail, delayAbortEval }`.
 * Whitespace around tokens is allowed, as in k6. abortOnFail is evaluated while the run goes
 * (live-gates.ts) on the metrics that need no evidence. Anything else is a ThresholdInvalid whose hint names the key
 * and what is allowed, so a scenario author can fix it without reading this file.
 *
 * @example
 * ```ts
 * const gates = parseThresholds({ 'http_req_duration{kind:legit}': ['p(95)<250'] })
 * evaluateThreshold(gates[0], metricSet)   // → { ok: true, observed: 41.2 }
 * ```
 */
import { parseDuration } from '../contracts/duration.ts'
import { ThresholdInvalid } from '../contracts/errors.ts'
import { AGGREGATIONS_BY_TYPE, aggregate, type Aggregation, type MetricSet, type MetricType, type Tags } from './metric-set.ts'

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!='
export type ThresholdInput = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string | number }
export type ThresholdMap = Readonly<Record<string, readonly ThresholdInput[]>>

export interface ParsedThreshold {
  /** the key as written, e.g. `gatecrash_block_rate{grading:must}` */
  key: string
  metric: string
  filter: Tags
  /** the expression as written (trimmed), e.g. `rate==1` */
  expression: string
  aggregation: Aggregation
  op: ThresholdOp
  value: number
  abortOnFail: boolean
  /** k6's delayAbortEval in ms: how long into the measured phase before abortOnFail is evaluated (0 when not given) */
  delayAbortEvalMs: number
}

const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const TAG_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/
const KEY = /^([^{}\s]+)\s*(?:\{(.*)\})?$/s
const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`
const EXPRESSION = new RegExp(
  String.raw`^(count|rate|value|avg|min|max|med|p\(\s*(${NUMBER})\s*\))\s*(===|==|!=|<=|>=|<|>)\s*(${NUMBER})$`,
)

const KEY_HINT = "write a metric name, optionally with a tag filter: 'http_req_duration' or 'gatecrash_warns{case:replay.dpop-jti-reuse,grading:should}'"
const EXPRESSION_HINT =
  "write <aggregation><operator><number>, e.g. 'p(95)<250' or 'rate==1'; aggregations: count, rate, value, avg, min, max, med, p(N) with 0 ≤ N ≤ 100; operators: <, <=, >, >=, ==, !="

export function parseThresholdKey(key: string): { metric: string; filter: Tags } {
  const m = KEY.exec(key.trim())
  if (!m || !METRIC_NAME.test(m[1])) {
    throw new ThresholdInvalid(`thresholds: '${key}' is not a metric name with an optional {tag:value} filter`, {
      hint: `in thresholds['${key}']: ${KEY_HINT}`,
    })
  }
  const filter: Record<string, string> = {}
  if (m[2] !== undefined) {
    const parts = m[2].split(',')
    for (const part of parts) {
      const colon = part.indexOf(':')
      const tag = (colon === -1 ? part : part.slice(0, colon)).trim()
      if (colon === -1 || !TAG_NAME.test(tag)) {
        throw new ThresholdInvalid(`thresholds['${key}']: tag filter '${part.trim()}' is not tag:value`, {
          hint: `in thresholds['${key}']: ${KEY_HINT}`,
        })
      }
      if (tag in filter) {
        throw new ThresholdInvalid(`thresholds['${key}']: tag '${tag}' appears twice in the filter`, {
          hint: `in thresholds['${key}']: name each tag once`,
        })
      }
      // An empty value is allowed: it selects samples that lack the tag (e.g. legit traffic has no case).
      filter[tag] = part.slice(colon + 1).trim()
    }
  }
  return { metric: m[1], filter }
}

export function parseThresholdExpression(expression: string, key: string): Pick<ParsedThreshold, 'aggregation' | 'op' | 'value'> {
  const m = EXPRESSION.exec(expression.trim())
  if (!m) {
    throw new ThresholdInvalid(`thresholds['${key}']: '${expression}' is not a threshold expression`, {
      hint: `in thresholds['${key}']: ${EXPRESSION_HINT}`,
    })
  }
  let aggregation: Aggregation
  if (m[2] !== undefined) {
    const p = Number(m[2])
    if (!(p >= 0 && p <= 100)) {
      throw new ThresholdInvalid(`thresholds['${key}']: percentile p(${m[2]}) is outside 0–100`, {
        hint: `in thresholds['${key}']: ${EXPRESSION_HINT}`,
      })
    }
    aggregation = { kind: 'p', p }
  } else {
    aggregation = { kind: m[1] as Exclude<Aggregation['kind'], 'p'> }
  }
  const op = (m[3] === '===' ? '==' : m[3]) as ThresholdOp
  return { aggregation, op, value: Number(m[4]) }
}

/** Parses a scenario's (or the defaults') threshold map, in key order, one entry per expression. */
export function parseThresholds(map: ThresholdMap): ParsedThreshold[] {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new ThresholdInvalid('thresholds must be an object mapping metric keys to lists of expressions', {
      hint: "write thresholds: { http_req_duration: ['p(95)<250'] }",
    })
  }
  const out: ParsedThreshold[] = []
  for (const [key, list] of Object.entries(map)) {
    const { metric, filter } = parseThresholdKey(key)
    if (!Array.isArray(list)) {
      throw new ThresholdInvalid(`thresholds['${key}'] must be a list of expressions`, {
        hint: `in thresholds['${key}']: write ['p(95)<250'] or [{ threshold: 'p(95)<250', abortOnFail: true }]`,
      })
    }
    for (const item of list as readonly unknown[]) {
      const { expression, abortOnFail, delayAbortEvalMs } = readItem(item, key)
      out.push({ key: key.trim(), metric, filter, expression: expression.trim(), ...parseThresholdExpression(expression, key), abortOnFail, delayAbortEvalMs })
    }
  }
  return out
}

const ITEM_KEYS = new Set(['threshold', 'abortOnFail', 'delayAbortEval'])

function readItem(item: unknown, key: string): { expression: string; abortOnFail: boolean; delayAbortEvalMs: number } {
  if (typeof item === 'string') return { expression: item, abortOnFail: false, delayAbortEvalMs: 0 }
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const o = item as Record<string, unknown>
    const known = Object.keys(o).every((k) => ITEM_KEYS.has(k))
    const delay = o.delayAbortEval === undefined ? 0 : typeof o.delayAbortEval === 'string' || typeof o.delayAbortEval === 'number' ? parseDuration(o.delayAbortEval) : null
    if (typeof o.threshold === 'string' && (o.abortOnFail === undefined || typeof o.abortOnFail === 'boolean') && delay !== null && known) {
      // A delay on a threshold that never aborts would do nothing: refused rather than ignored.
      if (o.delayAbortEval !== undefined && o.abortOnFail !== true) {
        throw new ThresholdInvalid(`thresholds['${key}']: delayAbortEval without abortOnFail: true does nothing`, {
          hint: `in thresholds['${key}']: write { threshold: ${JSON.stringify(o.threshold)}, abortOnFail: true, delayAbortEval: ${JSON.stringify(o.delayAbortEval)} }, or drop delayAbortEval`,
        })
      }
      return { expression: o.threshold, abortOnFail: o.abortOnFail === true, delayAbortEvalMs: delay }
    }
  }
  throw new ThresholdInvalid(`thresholds['${key}']: ${JSON.stringify(item)} is not a threshold`, {
    hint: `in thresholds['${key}']: each entry is a string such as 'p(95)<250' or { threshold: 'p(95)<250', abortOnFail: true, delayAbortEval: '10s' }`,
  })
}

/**
 * Checks each threshold names a metric that exists and an aggregation its type supports, so a typo
 * fails before a run instead of passing silently after it (k6 refuses these at startup too).
 */
export function validateThresholds(parsed: readonly ParsedThreshold[], types: ReadonlyMap<string, MetricType> | Readonly<Record<string, MetricType>>): void {
  const typeOf = (name: string): MetricType | undefined => (types instanceof Map ? types.get(name) : (types as Record<string, MetricType>)[name])
  const known = types instanceof Map ? [...types.keys()] : Object.keys(types)
  for (const t of parsed) {
    const type = typeOf(t.metric)
    if (!type) {
      throw new ThresholdInvalid(`thresholds['${t.key}']: no metric named '${t.metric}'`, {
        hint: `in thresholds['${t.key}']: metrics are ${known.sort().join(', ')}`,
      })
    }
    if (!AGGREGATIONS_BY_TYPE[type].includes(t.aggregation.kind)) {
      const allowed = AGGREGATIONS_BY_TYPE[type].map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')
      throw new ThresholdInvalid(`thresholds['${t.key}']: '${t.expression}' cannot apply to ${t.metric}, a ${type}`, {
        hint: `in thresholds['${t.key}']: a ${type} takes ${allowed}`,
      })
    }
  }
}

export function compare(observed: number, op: ThresholdOp, value: number): boolean {
  switch (op) {
    case '<': return observed < value
    case '<=': return observed <= value
    case '>': return observed > value
    case '>=': return observed >= value
    case '==': return observed === value
    case '!=': return observed !== value
  }
}

/**
 * Evaluates one threshold. A rate, gauge or trend with no matching samples has nothing to judge:
 * it is reported with `observed: null` and does not fail, as k6 skips thresholds on empty sinks.
 * Emptiness cannot hide a breach: breaches are a counter, and a counter with no samples reads 0.
 * Cases the target could not exercise show up in `gatecrash_not_covered` and in the report.
 */
export function evaluateThreshold(t: ParsedThreshold, set: MetricSet): { ok: boolean; observed: number | null } {
  validateThresholds([t], new Map([...set.metrics].map(([name, m]) => [name, m.type])))
  const observed = aggregate(set, t.metric, t.aggregation, t.filter)
  return { ok: observed === null ? true : compare(observed, t.op, t.value), observed }
}
