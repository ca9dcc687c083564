/**
 * Grades what a run store holds: the one grader (oracle/grade-stream.ts) with the fault windows'
 * grading folded in, then the gates. A run grades its run.db (finalize.ts), `gatecrash report`
 * grades an old one again, tests and small reads grade an in-memory store (grade-records.ts): the
 * same code every time.
 */
import { CATALOG } from '../attacks/catalog.ts'
import { ISSUED_TOKEN_CHECKS } from '../attacks/catalog/issued-token-checks.ts'
import type { IssuedTokenSummary } from '../contracts/issued-token.ts'
import { addIssuedMetrics, issuedCaseRows } from '../oracle/issued-ledger.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import type { ChainHeads, EvidenceIntegrity } from '../contracts/evidence-source.ts'
import type { FaultWindowRecord } from '../contracts/fault-window.ts'
import type { GateResult } from '../contracts/run-json.ts'
import { ChaosGrading, storedEvidence, type ChaosOutcome } from '../oracle/faults/chaos-grading.ts'
import { evaluateGates, explainIntegrity } from '../oracle/gates.ts'
import { gradeStream, type GradeStreamResult } from '../oracle/grade-stream.ts'
import { explainReconstruction, reconstruct, type Reconstruction } from '../oracle/reconstruct.ts'
import type { ExtraCounter } from '../oracle/metrics.ts'
import type { ThresholdMap } from '../oracle/thresholds.ts'
import type { RunStore } from './run-store.ts'

export interface GradeStoreInput {
  /** default: the catalog of this version */
  catalog?: readonly AttackCase[]
  /** the scenario's thresholds (defaults are added by evaluateGates) */
  thresholds?: ThresholdMap
  /** the fault windows as they happened */
  faults?: readonly FaultWindowRecord[]
  /** epoch ms after which records are late; undefined: none are */
  settleDeadline?: number
  /** each chain's head read before the measured records */
  chainStart?: ChainHeads
  integrity?: EvidenceIntegrity
  /** attack case ids the scenario selected */
  cases?: readonly string[]
  /** measured duration, for counters' per-second rates */
  durationS: number
  extraCounters?: readonly ExtraCounter[]
  windowMs?: number
  /** rows per page the grader reads (its result does not depend on it) */
  pageSize?: number
  /** what the issued-token checks concluded (absent in runs made before grader 4) */
  issued?: IssuedTokenSummary
  /** the run's seed: which legitimate transactions reconstruction samples (default 1) */
  seed?: number
}

export interface StoreGrading {
  graded: GradeStreamResult
  gates: GateResult[]
  faults: ChaosOutcome
  reconstruction: Reconstruction
}

export function gradeStore(store: RunStore, input: GradeStoreInput): StoreGrading {
  const catalog = input.catalog ?? CATALOG
  const newChaos = () => new ChaosGrading({ windows: input.faults ?? [], catalog, thresholds: input.thresholds, evidence: storedEvidence(store) })
  let chaos = newChaos()
  // A run without faults has nothing to adjust, and a grading without callbacks can be shared between threads.
  const callbacks = () => (chaos.enabled ? { adjust: chaos.adjust } : {})
  const graded = gradeStream(store, {
    faultWindows: chaos.metricWindows,
    ...callbacks(),
    // the fault windows' folds start over with the grading (their windows are the same)
    restart: () => ((chaos = newChaos()), callbacks()),
    catalog,
    settleDeadline: input.settleDeadline,
    chainStart: input.chainStart,
    integrity: input.integrity,
    cases: input.cases,
    durationS: input.durationS,
    extraCounters: input.extraCounters,
    windowMs: input.windowMs,
    pageSize: input.pageSize,
  })
  // The checks (issued tokens and keys as the run kept them, the evidence as just read) join the
  // cases and the counters before any gate reads them.
  const kept = (input.issued?.checks ?? []).filter((c) => c.id !== graded.secrets.id)
  const checks = { tokens: input.issued?.tokens ?? 0, max_lifetime_s: input.issued?.max_lifetime_s ?? 0, checks: [...kept, graded.secrets] }
  graded.cases.push(...issuedCaseRows(checks, ISSUED_TOKEN_CHECKS))
  addIssuedMetrics(graded.metrics, checks, ISSUED_TOKEN_CHECKS)
  // After the verdicts are stored: every failing attack is rebuilt from its records, with a sample of legitimate calls.
  const reconstruction = reconstruct(store, { seed: input.seed ?? 1, metrics: graded.metrics })
  if (input.settleDeadline !== undefined) store.setMeta('settle_deadline', String(input.settleDeadline))
  store.commit()
  const faults = chaos.finish()
  const gates = [...explainReconstruction(explainIntegrity(evaluateGates(graded.metrics, input.thresholds), graded.evidence.chains), reconstruction), ...faults.gates]
  return { graded, gates, faults, reconstruction }
}
