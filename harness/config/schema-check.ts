/**
 * A small declarative checker for the files users write: scenarios and target profiles. Hand-written
 * on purpose: every message must name the file, the dotted key and what is allowed there (the
 * allowed keys of that very object, the allowed executor names…), which generic schema libraries
 * do not report. A scenario's problems are ScenarioInvalid, a profile's ProfileInvalid (both exit 104).
 */
import { ProfileInvalid, ScenarioInvalid } from '../contracts/errors.ts'
import { parseDuration } from '../contracts/duration.ts'

export type Check = (value: unknown, at: Where) => void

export interface Where {
  file: string
  key: string
  /** what kind of file is checked (default a scenario) */
  subject?: 'scenario' | 'target profile'
}

export function fail(at: Where, problem: string, allowed: string): never {
  const where = at.key === '' ? `the ${at.subject ?? 'scenario'}` : `\`${at.key}\``
  const Invalid = at.subject === 'target profile' ? ProfileInvalid : ScenarioInvalid
  throw new Invalid(`${at.file}: ${where} ${problem}`, {
    file: at.file,
    key: at.key,
    hint: `allowed: ${allowed}`,
  })
}

export function child(at: Where, key: string): Where {
  return { ...at, key: at.key === '' ? key : `${at.key}.${key}` }
}

export function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`
}

export function num(opts: { min?: number; max?: number; int?: boolean } = {}): Check {
  const allowed = `${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}`
  return (v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, `is ${typeName(v)}`, allowed)
    if (opts.int && !Number.isInteger(v)) fail(at, `is ${v}, not an integer`, allowed)
    if (opts.min !== undefined && v < opts.min) fail(at, `is ${v}, below the minimum`, allowed)
    if (opts.max !== undefined && v > opts.max) fail(at, `is ${v}, above the maximum`, allowed)
  }
}

export function str(opts: { oneOf?: readonly string[]; pattern?: RegExp; describe?: string; nonEmpty?: boolean } = {}): Check {
  const allowed = opts.oneOf ? opts.oneOf.map((s) => `'${s}'`).join(', ') : (opts.describe ?? 'a string')
  return (v, at) => {
    if (typeof v !== 'string') fail(at, `is ${typeName(v)}`, allowed)
    if (opts.nonEmpty && v === '') fail(at, 'is empty', allowed)
    if (opts.oneOf && !opts.oneOf.includes(v)) fail(at, `is ${JSON.stringify(v)}`, allowed)
    if (opts.pattern && !opts.pattern.test(v)) fail(at, `is ${JSON.stringify(v)}`, allowed)
  }
}

export function fn(describe: string): Check {
  return (v, at) => {
    if (typeof v !== 'function') fail(at, `is ${typeName(v)}`, describe)
  }
}

/** A k6 duration; `maxMs` also refuses zero (a wait bound of 0 means nothing can be ready). */
export function duration(opts: { maxMs?: number; allowed?: string } = {}): Check {
  const allowed = opts.allowed ?? "a k6 duration such as '30s', '1m30s', '500ms'"
  return (v, at) => {
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : null
    if (ms === null || (opts.maxMs !== undefined && (ms <= 0 || ms > opts.maxMs))) fail(at, `is ${JSON.stringify(v)}`, allowed)
  }
}

export function bool(): Check {
  return (v, at) => {
    if (typeof v !== 'boolean') fail(at, `is ${typeName(v)}`, 'true or false')
  }
}

export function arr(item: Check, opts: { minLength?: number; maxLength?: number; describe?: string } = {}): Check {
  return (v, at) => {
    if (!Array.isArray(v)) fail(at, `is ${typeName(v)}`, opts.describe ?? 'an array')
    if (opts.minLength !== undefined && v.length < opts.minLength) fail(at, `has ${v.length} entries`, opts.describe ?? `at least ${opts.minLength}`)
    if (opts.maxLength !== undefined && v.length > opts.maxLength) fail(at, `has ${v.length} entries`, opts.describe ?? `at most ${opts.maxLength}`)
    v.forEach((x, i) => item(x, child(at, String(i))))
  }
}

export interface Field {
  check: Check
  required?: boolean
}

/** `after` checks what spans keys (exactly one of two, unique names), once each key has passed. */
export function obj(fields: Record<string, Field | Check>, after?: (v: Record<string, unknown>, at: Where) => void): Check {
  const norm = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, typeof f === 'function' ? { check: f } : f]))
  const allowedKeys = Object.keys(norm).join(', ')
  return (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, `is ${typeName(v)}`, `an object with keys ${allowedKeys}`)
    for (const key of Object.keys(v)) {
      if (!(key in norm)) fail(child(at, key), 'is not a known key', allowedKeys)
    }
    for (const [key, f] of Object.entries(norm)) {
      const value = (v as Record<string, unknown>)[key]
      if (value === undefined) {
        if (f.required) fail(child(at, key), 'is missing', `${allowedKeys} (this one is required)`)
        continue
      }
      f.check(value, child(at, key))
    }
    after?.(v as Record<string, unknown>, at)
  }
}

export function record(keyPattern: RegExp, keyDescribe: string, value: Check): Check {
  return (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, `is ${typeName(v)}`, `an object keyed by ${keyDescribe}`)
    for (const [k, x] of Object.entries(v)) {
      if (!keyPattern.test(k)) fail(child(at, k), 'is not an allowed name', keyDescribe)
      value(x, child(at, k))
    }
  }
}

const JSON_DEPTH = 32

/**
 * A JSON value as JSON.stringify would send it unchanged: strings, finite numbers, booleans, null,
 * arrays and plain objects of them, at most 32 levels deep (a file that builds a cycle is refused,
 * not looped over). What stringify would drop or bend (undefined, a function, NaN, a Date) is refused.
 */
export function json(opts: { object?: boolean; describe?: string } = {}): Check {
  const allowed = opts.describe ?? (opts.object ? 'a JSON object' : 'a JSON value (a string, finite number, boolean, null, or an array or object of them)')
  const value = (v: unknown, at: Where, depth: number): void => {
    if (depth > JSON_DEPTH) fail(at, `nests deeper than ${JSON_DEPTH} levels`, allowed)
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(at, `is ${v}`, allowed)
      return
    }
    if (Array.isArray(v)) return v.forEach((x, i) => value(x, child(at, String(i)), depth + 1))
    const proto = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined
    if (proto !== Object.prototype && proto !== null) fail(at, v === undefined ? 'is undefined' : `is ${typeName(v)}${typeof v === 'object' ? ` (${proto?.constructor?.name ?? 'not a plain object'})` : ''}`, allowed)
    for (const [k, x] of Object.entries(v as object)) value(x, child(at, k), depth + 1)
  }
  return (v, at) => {
    if (opts.object && (v === null || typeof v !== 'object' || Array.isArray(v))) fail(at, `is ${typeName(v)}`, allowed)
    value(v, at, 0)
  }
}

/** A discriminated union on `tag` (k6's executors): the tag picks the object check. */
export function tagged(tag: string, variants: Record<string, Check>): Check {
  const names = Object.keys(variants)
  return (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, `is ${typeName(v)}`, `an object with \`${tag}\``)
    const t = (v as Record<string, unknown>)[tag]
    if (typeof t !== 'string' || !(t in variants)) fail(child(at, tag), `is ${JSON.stringify(t)}`, names.map((n) => `'${n}'`).join(', '))
    variants[t](v, at)
  }
}

export function oneOfChecks(describe: string, ...checks: Check[]): Check {
  return (v, at) => {
    for (const c of checks) {
      try {
        c(v, at)
        return
      } catch (e) {
        if (!(e instanceof ScenarioInvalid || e instanceof ProfileInvalid)) throw e
      }
    }
    fail(at, `is ${JSON.stringify(v)}`, describe)
  }
}
