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

/** The last hash per writer in records read in delivery order: the heads a later read must link to. */
export function headsOf(records: readonly EvidenceRecord[]): Record<string, string | null> {
  const heads: Record<string, string | null> = {}
  for (const r of records) heads[r.component] = r.hash
  return heads
}
