import { createHash } from 'node:crypto'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import { b64urlSha256 } from '../protocol/token-hash.ts'

/**
 * RFC 8785 (JCS) canonical JSON. JS's own number and string serialisation already match JCS for
 * the JSON values evidence holds; only key order needs imposing (UTF-16 code-unit order).
 *
 * Grading hashes every record of a run (a million and more), so this is written as loops over one
 * growing string, with each key's JSON text cached: the filter/sort/map/join form allocated four
 * arrays per object and cost most of the grader's time on the tamper check (bench: `join`).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      // a hole stays empty, as Array.prototype.map and join leave it
      if (!(i in value)) continue
      const v: unknown = value[i]
      out += canonicalJson(v === undefined ? null : v)
    }
    return `${out}]`
  }
  return objectJson(value as Record<string, unknown>, undefined)
}

/** `"key":` per key name; evidence has a few dozen, bounded so odd input cannot grow it */
const keyJson = new Map<string, string>()
const KEY_CACHE_MAX = 1024

/**
 * Object.keys(o) in UTF-16 code-unit order, as Array.prototype.sort orders strings: a record's
 * objects have a few keys each, and an insertion sort of those is about twice as fast as sort()
 * (keys are unique, so the order is the same).
 */
export function sortedKeys(o: object): string[] {
  const keys = Object.keys(o)
  if (keys.length > 16) return keys.sort()
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]
    let j = i - 1
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j]
      j--
    }
    keys[j + 1] = k
  }
  return keys
}

function objectJson(o: Record<string, unknown>, skip: string | undefined): string {
  const keys = sortedKeys(o)
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]
    const v = o[k]
    if (v === undefined || k === skip) continue
    if (out.length > 1) out += ','
    let key = keyJson.get(k)
    if (key === undefined) {
      key = `${JSON.stringify(k)}:`
      if (keyJson.size < KEY_CACHE_MAX) keyJson.set(k, key)
    }
    out += key + (typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v))
  }
  return `${out}}`
}

/** base64url(SHA-256(JCS(record without "hash"))) */
export function recordHash(record: Omit<EvidenceRecord, 'hash'> & { hash?: string }): string {
  // the record itself with "hash" skipped, rather than a copy without it
  return b64urlSha256(objectJson(record as unknown as Record<string, unknown>, 'hash'))
}

/**
 * Whether a record stored in canonical form (`canonicalJson(record)`, run/run-store.ts) still has
 * the hash it carries: the hash recomputed over the stored text with its own `"hash"` member cut
 * out, which is JCS of the record without it, without parsing and re-serialising the record.
 * Undefined when the text holds no such member (then ask recordHash of the parsed record).
 *
 * The first occurrence of the hash value in the text, preceded by `"hash":"`, is the record's own
 * member: the value occurring earlier, as another member's or as a nested "hash", would put the
 * hash inside the very text it is computed over (a SHA-256 fixed point). A hash a string escapes
 * (a quote, a backslash) is no SHA-256 in base64url: whatever is cut, it does not recompute, as
 * recordHash would find. The value is searched for, not the whole member: building the member
 * per record cost a third of the search.
 */
export function storedHashRecomputes(canonical: string, hash: string): boolean | undefined {
  const value = canonical.indexOf(hash)
  const at = value - MEMBER_PREFIX.length
  if (value < 0 || at < 1 || !canonical.startsWith(MEMBER_PREFIX, at) || canonical.charCodeAt(value + hash.length) !== QUOTE) return undefined
  const end = value + hash.length + 1
  const before = canonical[at - 1]
  let without: string
  if (before === ',') without = canonical.slice(0, at - 1) + canonical.slice(end)
  else if (before === '{') without = canonical.slice(0, at) + canonical.slice(canonical[end] === ',' ? end + 1 : end)
  else return undefined
  return b64urlSha256(without) === hash
}

const MEMBER_PREFIX = '"hash":"'
const QUOTE = 34

/** The last hash per writer in records read in delivery order: the heads a later read must link to. */
export function headsOf(records: readonly EvidenceRecord[]): Record<string, string | null> {
  const heads: Record<string, string | null> = {}
  for (const r of records) heads[r.component] = r.hash
  return heads
}
