/**
 * The grader over records held in memory (tests, the self-test's checks, small offline reads): an
 * in-memory run store, filled and graded by the same code a run uses (grade-store.ts), then read
 * back whole. Never for a run's own evidence: that streams from run.db.
 *
 * @example
 * ```ts
 * const g = gradeRecords({ attempts, evidence, settleDeadline: lastEnd + 5_000 })
 * g.cases.filter((row) => row.verdict === 'breach')
 * g.match.bySeq.get(17)   // records that arrived in time for attempt 17
 * ```
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads } from '../contracts/evidence-source.ts'
import type { GradedAttempt } from '../contracts/verdict.ts'
import { gradeStore, type GradeStoreInput, type StoreGrading } from './grade-store.ts'
import { readJoins, readVerdicts, type EvidenceMatch } from './read-grading.ts'
import { RunStore } from './run-store.ts'

export interface GradeRecordsInput extends Omit<GradeStoreInput, 'durationS'> {
  attempts: readonly AttemptRecord[]
  evidence: readonly EvidenceRecord[]
  /** head samples, each taken after the first `after` records of `evidence` were delivered */
  heads?: readonly { after: number; heads: ChainHeads; at?: number }[]
  /** default 1 s */
  durationS?: number
  /** records read before measuring (not graded): their token exchanges are kept for reconstruction, as a run keeps provisioning's */
  before?: readonly EvidenceRecord[]
}

export interface GradedRecords extends Omit<StoreGrading['graded'], 'attempts'> {
  /** one per attempt, in send order (seq) */
  attempts: GradedAttempt[]
  gates: StoreGrading['gates']
  faults: StoreGrading['faults']
  reconstruction: StoreGrading['reconstruction']
  match: EvidenceMatch
}

export function gradeRecords(input: GradeRecordsInput): GradedRecords {
  const store = RunStore.open(':memory:')
  try {
    store.appendAttempts(input.attempts)
    if (input.before) store.keepExchanges(input.before)
    let delivered = 0
    for (const s of [...(input.heads ?? [])].sort((a, b) => a.after - b.after)) {
      store.appendEvidence(input.evidence.slice(delivered, s.after))
      delivered = Math.max(delivered, s.after)
      store.addHeadSample(s.heads, s.at ?? 0)
    }
    store.appendEvidence(input.evidence.slice(delivered))
    const { graded, gates, faults, reconstruction } = gradeStore(store, { ...input, durationS: input.durationS ?? 1 })
    return { ...graded, attempts: readVerdicts(store), gates, faults, reconstruction, match: readJoins(store, input.settleDeadline) }
  } finally {
    store.close()
  }
}
