/**
 * The grader's first pass over the records, one at a time in delivery order (grade-stream.ts pass
 * 1): the tamper check (the hash recomputes), the integrity check (evidence/integrity.ts), the late
 * count and the "No secrets" scan. A fold with no I/O, so it gives the same result wherever it
 * runs: in the grading thread, or in a worker reading the same run store while the grading thread
 * builds its indexes and joins (run/grade-aside-worker.ts), which is where a run's million
 * records are parsed and hashed.
 */
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads, EvidenceIntegrity } from '../contracts/evidence-source.ts'
import type { IssuedCheckOutcome } from '../contracts/issued-token.ts'
import type { RunJson } from '../contracts/run-json.ts'
import { recordHash, storedHashRecomputes } from '../evidence/chain.ts'
import { IntegrityTracker, type HeadSample } from '../evidence/integrity.ts'
import { credentialShapes } from '../protocol/redact.ts'
import { MAX_EXAMPLES } from './case-rows.ts'

export interface EvidenceCheckInput {
  integrity: EvidenceIntegrity
  chainStart?: ChainHeads
  /** epoch ms after which records are late */
  settleDeadline?: number
}

/** What the checks found: run.json's evidence section but `matched`, and the no-secrets outcome. */
export interface EvidenceCheckResult {
  evidence: Omit<RunJson['evidence'], 'matched'>
  secrets: IssuedCheckOutcome
}

/** Late: stamped after the settle deadline. `ts` is Date.parse(record.ts) as the store keeps it (null: not a time). */
export function lateCheck(settleDeadline: number | undefined): (ts: number | null) => boolean {
  return (ts) => settleDeadline !== undefined && ts !== null && ts > settleDeadline
}

/** A record as a canonical store keeps it (run/run-store.ts schema /2): its chain fields in columns, its text in RFC 8785 form. */
export interface StoredEvidenceRow {
  rowid: number
  /** as in StoredRecord */
  ts: number | null
  id: string
  component: string
  /** the record's prev and hash when they are strings, else null */
  prev: string | null
  hash: string | null
  /** canonicalJson(record) */
  json: string
}

export class EvidenceChecks {
  readonly #integrity: EvidenceIntegrity
  readonly #chains: IntegrityTracker | null
  readonly #isLate: (ts: number | null) => boolean
  readonly #secrets: IssuedCheckOutcome = { id: 'evidence.no-secrets', checked: 0, failed: 0, not_judged: 0, examples: [] }
  #records = 0
  #late = 0
  #tampered = 0

  /** `samples`: the source's chain heads as sampled during the run (GradeSource.headSamples) */
  constructor(input: EvidenceCheckInput, samples: readonly HeadSample[]) {
    this.#integrity = input.integrity
    this.#chains = input.integrity === 'chained' ? new IntegrityTracker(input.chainStart, samples) : null
    this.#isLate = lateCheck(input.settleDeadline)
  }

  /**
   * The next record in delivery order. Returns false when it was altered after it was written (its
   * hash does not recompute): it proves nothing, so it must join no attempt; it still counts in its
   * chain. Unchained records carry no hash to check.
   */
  add(rowid: number, ts: number | null, record: EvidenceRecord): boolean {
    this.#records++
    this.#scanForSecrets(record)
    return this.#tally(record, rowid, ts, this.#chains === null || recordHash(record) === record.hash)
  }

  /**
   * add() for a record as a canonical store keeps it: the same checks, with its hash recomputed
   * over the stored text (evidence/chain.ts storedHashRecomputes) and its chain fields read from
   * their columns, so it is parsed only when it holds `detail` to scan, or lacks a chain field as
   * a string (then add() judges it whole, as for any store).
   */
  addStored(row: StoredEvidenceRow): boolean {
    let hashOk = true
    if (this.#chains !== null) {
      const ok = row.hash !== null && row.prev !== null ? storedHashRecomputes(row.json, row.hash) : undefined
      if (ok === undefined) return this.add(row.rowid, row.ts, JSON.parse(row.json) as EvidenceRecord)
      hashOk = ok
    }
    this.#records++
    // `"detail":` anywhere (a nested key too) is a superset of the records with a detail member
    if (row.json.includes('"detail":')) this.#scanForSecrets(JSON.parse(row.json) as EvidenceRecord)
    else this.#secrets.checked++
    return this.#tally({ id: row.id, component: row.component, prev: row.prev, hash: row.hash } as EvidenceRecord, row.rowid, row.ts, hashOk)
  }

  /** The chain, tamper and late counts of one record (its chain fields are all `chain` needs). */
  #tally(chain: EvidenceRecord, rowid: number, ts: number | null, hashOk: boolean): boolean {
    this.#chains?.add(chain, rowid, hashOk)
    if (!hashOk) {
      this.#tampered++
      return false
    }
    if (this.#isLate(ts)) this.#late++
    return true
  }

  /** After the last record: what the re-read found (records delivered again with other content, broken chains). */
  finish(redelivered: readonly { id: string; record: EvidenceRecord }[], verification: readonly { component: string; problem: string }[]): EvidenceCheckResult {
    const chains = this.#chains
    if (chains) {
      for (const { id, record } of redelivered) chains.redelivered(record.component, id)
      for (const { component, problem } of verification) chains.failVerification(component, problem)
    }
    const checked = chains?.finish() ?? []
    return {
      evidence: { records: this.#records, late: this.#late, tampered: this.#tampered, integrity: this.#integrity, chains: checked.map(({ component, records, ok, problem }) => ({ component, records, ok, problem })) },
      secrets: this.#secrets,
    }
  }

  /**
   * The evidence schema's "No secrets": a record's detail (the free-form part; the schema's patterns
   * already guard the hash fields) must hold nothing credential-shaped. Reported by kind, never by value.
   */
  #scanForSecrets(record: EvidenceRecord): void {
    const out = this.#secrets
    out.checked++
    if (record.detail === undefined) return
    const kinds = credentialShapes(JSON.stringify(record.detail))
    if (kinds.length === 0) return
    out.failed++
    if (out.examples.length < MAX_EXAMPLES) out.examples.push({ token_hash: '', source: `record ${record.id}`, ref: record.component, why: `its detail holds ${kinds.join(' and ')}` })
  }
}
