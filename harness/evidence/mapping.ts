/**
 * An evidence mapping (docs/evidence-mapping.md): from a deployment's own audit record to
 * EvidenceRecord, declared as data. compileMapping() validates the spec strictly once
 * (mapping-check.ts) and returns the function a source applies to every raw record.
 *
 * Every value, from a rule or from the `map()` escape hatch, goes through one coercion per field kind
 * (mapping-coerce.ts), so the two ways of mapping cannot disagree about types or secrets. A record
 * that lacks a required field is reported on the ProblemLog with its line, never dropped silently;
 * an optional field that cannot be used is left out with a warning (each kind of warning once).
 *
 * @example
 * ```ts
 * const mapping = compileMapping({ fields: { ts: 'time', decision: { from: 'outcome', map: { denied: 'deny' } }, … } },
 *   { file: 'targets/acme.ts', key: 'evidence.mapping' })
 * const record = mapping.apply(JSON.parse(line), { line: 17, id: 'jsonl:…' }, problems)   // null: see problems
 * ```
 */
import { MAPPABLE_FIELDS, REQUIRED_FIELDS, type FieldKind, type MappingRule, type MappingScalar } from '../contracts/evidence-mapping.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import { checkMappingSpec, kindOf, type MappingWhere } from './mapping-check.ts'
import { coerce, looksLikeCredential } from './mapping-coerce.ts'
import type { ProblemLog } from './problems.ts'

export interface CompiledMapping {
  /**
   * One raw record (a parsed JSON line) → a record, or null: not an object, skipped by `map()`, or
   * a required field missing or invalid (then counted on `problems` with `at.line`). `at.id` is the
   * record's id unless the mapping maps `id`: derive it from the source position, so a re-read gives
   * the same id.
   */
  apply(raw: unknown, at: { line: number; id: string }, problems: ProblemLog): EvidenceRecord | null
}

interface Rule {
  field: string
  kind: FieldKind
  /** where the value comes from, for messages: `outcome`, `a` or `b`, const */
  source: string
  read(raw: Record<string, unknown>): unknown
}

/** Groups of the record a `map()` result may hold as objects; their members are the dotted fields. */
const GROUPS = new Set(['principal', 'key', 'resource', 'scope', 'policy', 'correlation', 'detail'])
const ORDER = Object.keys(MAPPABLE_FIELDS)

/**
 * The value at a dotted path. Each level tries the longest key first, so flat keys that hold dots
 * (OpenTelemetry's `http.response.status_code`) are found beside nested objects.
 */
function compilePath(path: string): (raw: unknown) => unknown {
  const segs = path.split('.')
  const keys = segs.map((_, i) => segs.map((__, j) => segs.slice(i, j + 1).join('.')))
  const at = (v: unknown, i: number): unknown => {
    if (i === segs.length) return v
    if (v === null || typeof v !== 'object') return undefined
    for (let j = segs.length - 1; j >= i; j--) {
      const k = keys[i][j]
      if (Object.hasOwn(v, k)) {
        const found = at((v as Record<string, unknown>)[k], j + 1)
        if (found !== undefined) return found
      }
    }
    return undefined
  }
  return (raw) => at(raw, 0)
}

const absent = (v: unknown): boolean => v === undefined || v === null || v === ''

function compileRule(field: string, rule: MappingRule): Rule {
  const kind = kindOf(field)!
  if (typeof rule === 'string') rule = { from: rule }
  if ('const' in rule) {
    const value = rule.const
    return { field, kind, source: 'const', read: () => value }
  }
  const paths = typeof rule.from === 'string' ? [rule.from] : [...rule.from]
  const getters = paths.map(compilePath)
  const map = rule.map
  const fallback = rule.default
  return {
    field,
    kind,
    source: paths.map((p) => `\`${p}\``).join(' or '),
    read(raw) {
      let v: unknown
      for (const get of getters) if (!absent((v = get(raw)))) break
      if (map && !absent(v) && typeof v !== 'object') {
        const k = String(v)
        if (Object.hasOwn(map, k)) v = map[k] as MappingScalar
      }
      return absent(v) ? fallback : v
    },
  }
}

interface Value {
  v: unknown
  source: string
}

/** The escape hatch's result, flattened onto the rules' values; null on a field clears it. */
function mergeReturned(out: Record<string, unknown>, values: Map<string, Value>, problems: ProblemLog): void {
  const put = (field: string, v: unknown): void => {
    if (v === undefined) return
    if (!kindOf(field)) problems.warn(`map() returned \`${field}\`, which is not a mappable field: ignored`)
    else if (v === null) values.delete(field)
    else values.set(field, { v, source: 'map()' })
  }
  for (const [k, v] of Object.entries(out)) {
    if (!GROUPS.has(k)) {
      put(k, v)
    } else if (v === null) {
      for (const f of [...values.keys()]) if (f.startsWith(`${k}.`)) values.delete(f)
    } else if (typeof v === 'object' && !Array.isArray(v)) {
      for (const [sub, x] of Object.entries(v as Record<string, unknown>)) put(`${k}.${sub}`, x)
    } else if (v !== undefined) {
      problems.warn(`map() returned \`${k}\` as ${Array.isArray(v) ? 'a list' : typeof v}, not an object: ignored`)
    }
  }
}

function setPath(target: Record<string, unknown>, field: string, value: unknown): void {
  const dot = field.indexOf('.')
  if (dot === -1) {
    target[field] = value
    return
  }
  const group = field.slice(0, dot)
  const obj = (target[group] ??= {}) as Record<string, unknown>
  obj[field.slice(dot + 1)] = value
}

const REQUIRED = new Set<string>(REQUIRED_FIELDS)

export function compileMapping(spec: unknown, where: MappingWhere): CompiledMapping {
  const checked = checkMappingSpec(spec, where)
  const rules = Object.entries(checked.fields).map(([field, rule]) => compileRule(field, rule!))
  const fn = checked.map

  return {
    apply(raw, at, problems) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        problems.unmappedLine(at.line, 'not a JSON object')
        return null
      }
      const obj = raw as Record<string, unknown>
      const values = new Map<string, Value>()
      for (const r of rules) {
        const v = r.read(obj)
        if (v !== undefined) values.set(r.field, { v, source: r.source })
      }
      if (fn) {
        let out: ReturnType<typeof fn>
        try {
          out = fn(obj)
        } catch (e) {
          const msg = String((e as Error)?.message ?? e)
          problems.unmappedLine(at.line, `map() threw: ${looksLikeCredential(msg) ? 'an error (its message looked like a credential)' : msg.slice(0, 120)}`)
          return null
        }
        if (out === null) return null
        mergeReturned(out as Record<string, unknown>, values, problems)
      }
      const sourceOf = (field: string): string => rules.find((r) => r.field === field)?.source ?? (fn ? 'map()' : 'a rule')

      const record: Record<string, unknown> = { v: 1, id: at.id, principal: { sub: null }, actors: [], resource: {}, correlation: {} }
      const fields = [...ORDER.filter((f) => values.has(f)), ...[...values.keys()].filter((f) => f.startsWith('detail.'))]
      for (const field of fields) {
        const { v, source } = values.get(field)!
        const c = coerce(kindOf(field)!, v)
        if (c.ok) {
          setPath(record, field, c.value)
          if (c.hashed) problems.warn(`\`${field}\` from ${source}: raw tokens were replaced by their SHA-256 hash (the deployment's log holds raw tokens)`)
          continue
        }
        if (REQUIRED.has(field) || field === 'reason' || field === 'principal.type') {
          problems.unmappedLine(at.line, `${field}: ${source} ${c.secret ? 'looks like a credential' : `is ${c.got}, not ${c.expected}`}`)
          return null
        }
        problems.warn(c.secret
          ? `\`${field}\` from ${source}: credential-looking values were left out`
          : `\`${field}\` from ${source}: values that are not ${c.expected} were left out`)
      }

      for (const f of REQUIRED_FIELDS) {
        if (!values.has(f)) {
          problems.unmappedLine(at.line, `${f}: no ${sourceOf(f)}`)
          return null
        }
      }
      const principal = record.principal as Record<string, unknown>
      // the schema's own fallbacks: an allow's reason is `ok`; a record naming nobody is anonymous
      if (record.reason === undefined) {
        if (record.decision !== 'allow') {
          problems.unmappedLine(at.line, `reason: no ${sourceOf('reason')} (a deny needs a reason code; give the rule a default)`)
          return null
        }
        record.reason = 'ok'
      }
      if (principal.type === undefined) {
        if (principal.sub !== null && principal.sub !== undefined) {
          problems.unmappedLine(at.line, `principal.type: no ${sourceOf('principal.type')} for principal ${String(principal.sub).slice(0, 40)}`)
          return null
        }
        principal.type = 'anonymous'
      }
      const policy = record.policy as { id?: string; rule?: string } | undefined
      if (policy && (policy.id === undefined || policy.rule === undefined)) {
        problems.warn('policy: a record with only one of policy.id and policy.rule leaves policy out (the schema needs both)')
        delete record.policy
      }
      record.prev = null
      record.hash = ''
      return record as unknown as EvidenceRecord
    },
  }
}
