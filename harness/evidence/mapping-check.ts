/**
 * Strict validation of an evidence mapping as a target profile declares it, before any line is read:
 * every message names the file and the dotted key (`evidence.mapping.fields.decison`) and its hint
 * lists what is allowed there, as scenario validation does (scenario/schema-check.ts). Constants,
 * defaults and enum value maps are coerced here already, so a typo in them fails now rather than
 * turning every record of the run into an unmapped line.
 */
import { EvidenceMappingInvalid } from '../contracts/errors.ts'
import { DETAIL_FIELD, MAPPABLE_FIELDS, REQUIRED_FIELDS, type FieldKind, type EvidenceMappingSpec } from '../contracts/evidence-mapping.ts'
import { coerce } from './mapping-coerce.ts'

export interface MappingWhere {
  /** the file that declared the mapping (a target profile) */
  file: string
  /** the dotted key of the mapping itself, e.g. `evidence.mapping` */
  key: string
}

const FIELD_NAMES = Object.keys(MAPPABLE_FIELDS)
const ALLOWED_FIELDS = `${FIELD_NAMES.join(', ')}, detail.<name>`
const RULE_SHAPES = "a dotted path into the raw record ('http.status'), { from, map?, default? } or { const }"
const PATH = /^[^.]+(\.[^.]+)*$/

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`
}

function fail(where: MappingWhere, key: string, problem: string, allowed: string): never {
  const at = `${where.key}.${key}`
  throw new EvidenceMappingInvalid(`${where.file}: \`${at}\` ${problem}`, { file: where.file, key: at, hint: `allowed: ${allowed}` })
}

/** Levenshtein distance, for "did you mean" on a mistyped field name. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]
}

/** The field meant by a mistyped name: a near miss, or a bare leaf (`trace_id` for `correlation.trace_id`). */
function suggest(name: string): string | undefined {
  const byLeaf = FIELD_NAMES.find((f) => f.endsWith(`.${name}`))
  if (byLeaf) return byLeaf
  const near = FIELD_NAMES.map((f) => ({ f, d: distance(name, f) })).sort((a, b) => a.d - b.d)[0]
  return near.d <= 2 ? near.f : undefined
}

export function kindOf(field: string): FieldKind | undefined {
  return Object.hasOwn(MAPPABLE_FIELDS, field) ? MAPPABLE_FIELDS[field as keyof typeof MAPPABLE_FIELDS] : DETAIL_FIELD.test(field) ? 'json' : undefined
}

function checkPath(where: MappingWhere, key: string, v: unknown): void {
  if (typeof v !== 'string' || !PATH.test(v)) fail(where, key, `is ${typeof v === 'string' ? `'${v}'` : typeName(v)}`, 'a dotted path into the raw record, e.g. \'http.status\' (no empty segments)')
}

/** A constant or default must already be what the field holds: coerced now, never a credential. */
function checkConstant(where: MappingWhere, key: string, kind: FieldKind, v: unknown): void {
  const c = coerce(kind, v)
  if (c.ok && !c.hashed) return
  if (c.ok || c.secret) fail(where, key, 'looks like a credential', 'a value that is not a token or secret: a mapping never carries one')
  fail(where, key, `is ${c.got}`, c.expected)
}

function checkRule(where: MappingWhere, field: string, kind: FieldKind, rule: unknown): void {
  const key = `fields.${field}`
  if (typeof rule === 'string') return checkPath(where, key, rule)
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) fail(where, key, `is ${typeName(rule)}`, RULE_SHAPES)
  const r = rule as Record<string, unknown>
  if ('const' in r) {
    for (const k of Object.keys(r)) if (k !== 'const') fail(where, `${key}.${k}`, 'is not allowed beside `const`', '{ const } alone, or { from, map?, default? }')
    return checkConstant(where, `${key}.const`, kind, r.const)
  }
  for (const k of Object.keys(r)) if (!['from', 'map', 'default'].includes(k)) fail(where, `${key}.${k}`, 'is not a known key', 'from, map, default (or const alone)')
  if (!('from' in r)) fail(where, `${key}.from`, 'is missing', `${RULE_SHAPES}; an object rule needs \`from\` or \`const\``)
  if (Array.isArray(r.from)) {
    if (r.from.length === 0) fail(where, `${key}.from`, 'is an empty list', 'a dotted path, or a list of them (the first present wins)')
    r.from.forEach((p, i) => checkPath(where, `${key}.from.${i}`, p))
  } else checkPath(where, `${key}.from`, r.from)
  if (r.map !== undefined) {
    if (r.map === null || typeof r.map !== 'object' || Array.isArray(r.map)) fail(where, `${key}.map`, `is ${typeName(r.map)}`, 'an object from raw values (as text) to the values the field takes')
    for (const [raw, to] of Object.entries(r.map)) {
      if (to !== null && !['string', 'number', 'boolean'].includes(typeof to)) fail(where, `${key}.map.${raw}`, `is ${typeName(to)}`, 'a string, number, boolean, or null for "no value"')
      // enum targets are checked now: a typo here would otherwise reject every record it matches
      if (to !== null && (kind === 'decision' || kind === 'principal-type' || kind === 'status')) checkConstant(where, `${key}.map.${raw}`, kind, to)
    }
  }
  if (r.default !== undefined) checkConstant(where, `${key}.default`, kind, r.default)
}

/** Throws EvidenceMappingInvalid at the first problem; returns the spec, typed. */
export function checkMappingSpec(spec: unknown, where: MappingWhere): EvidenceMappingSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new EvidenceMappingInvalid(`${where.file}: \`${where.key}\` is ${typeName(spec)}`, { file: where.file, key: where.key, hint: 'allowed: an object with keys fields, map' })
  }
  const s = spec as Record<string, unknown>
  for (const k of Object.keys(s)) if (k !== 'fields' && k !== 'map') fail(where, k, 'is not a known key', 'fields, map')
  if (s.map !== undefined && typeof s.map !== 'function') fail(where, 'map', `is ${typeName(s.map)}`, 'a function (raw record) => partial record, or null to skip the line')
  if (s.fields === null || typeof s.fields !== 'object' || Array.isArray(s.fields)) fail(where, 'fields', `is ${typeName(s.fields)}`, `an object keyed by ${ALLOWED_FIELDS}`)
  const fields = s.fields as Record<string, unknown>
  for (const [field, rule] of Object.entries(fields)) {
    const kind = kindOf(field)
    if (!kind) {
      const meant = suggest(field)
      fail(where, `fields.${field}`, `is not a mappable field${meant ? ` (did you mean \`${meant}\`?)` : ''}`, ALLOWED_FIELDS)
    }
    checkRule(where, field, kind, rule)
  }
  // With a map() function the required fields may come from it; the records say so if they do not.
  if (s.map === undefined) {
    for (const f of REQUIRED_FIELDS) {
      if (!(f in fields)) fail(where, `fields.${f}`, 'is missing', `every record needs ${REQUIRED_FIELDS.join(', ')}: map each from the raw record or give it as { const } (a log without HTTP statuses: status: { const: 0 })`)
    }
    for (const [f, other] of [['policy.id', 'policy.rule'], ['policy.rule', 'policy.id']]) {
      if (f in fields && !(other in fields)) fail(where, `fields.${other}`, `is missing beside \`${f}\``, 'both policy.id and policy.rule, or neither')
    }
  }
  return spec as EvidenceMappingSpec
}
