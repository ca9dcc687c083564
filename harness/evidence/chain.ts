import { createHash } from 'node:crypto'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import { b64urlSha256 } from '../protocol/token-hash.ts'

/**
 * RFC 8785 (JCS) canonical JSON. JS's own number and string serialisation already match JCS for
 * the JSON values evidence holds; only key order needs imposing (UTF-16 code-unit order).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
  return `{${entries.join(',')}}`
}

/** base64url(SHA-256(JCS(record without "hash"))) */
export function recordHash(record: Omit<EvidenceRecord, 'hash'> & { hash?: string }): string {
  const { hash: _omit, ...rest } = record
  return b64urlSha256(canonicalJson(rest))
}

export interface ChainCheck {
  component: string
  records: number
  /** index (in the given order) of the first record whose `prev` or `hash` is wrong, if any */
  brokenAt: number | null
  problem: string | null
  head: string | null
}

/**
 * Checks one writer's chain in order: every hash recomputes, every `prev` names the record before.
 * `startPrev` is the head read before the run (null for a fresh chain).
 */
export function checkChain(component: string, records: EvidenceRecord[], startPrev: string | null = null): ChainCheck {
  let prev = startPrev
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    if (r.prev !== prev && !(i === 0 && startPrev === null)) {
      return { component, records: records.length, brokenAt: i, problem: `record ${r.id}: prev does not link to the record before`, head: null }
    }
    if (recordHash(r) !== r.hash) {
      return { component, records: records.length, brokenAt: i, problem: `record ${r.id}: hash does not recompute`, head: null }
    }
    prev = r.hash
  }
  return { component, records: records.length, brokenAt: null, problem: null, head: prev }
}

/** The last hash per writer in records read in delivery order: the heads a later read must link to. */
export function headsOf(records: readonly EvidenceRecord[]): Record<string, string | null> {
  const heads: Record<string, string | null> = {}
  for (const r of records) heads[r.component] = r.hash
  return heads
}
