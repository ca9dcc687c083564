/**
 * Pushes n synthetic attempts and their evidence through the whole run-store path — attempt log
 * (writer thread), evidence pages, streaming grade, both CSVs — generating them page by page so the
 * test itself holds nothing per attempt, and reports time and peak memory per phase. Used by the
 * 50k unit test and the 1M nightly one: memory must not grow with n.
 */
import path from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { recordHash } from '../../../harness/evidence/chain.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { gradeStream, type GradeStreamResult } from '../../../harness/oracle/grade-stream.ts'
import { AttemptLog } from '../../../harness/run/attempt-log.ts'
import { RunStore } from '../../../harness/run/run-store.ts'
import { storeRows } from '../../../harness/run/store-rows.ts'
import { writeAttemptsCsv, writeEvidenceCsv } from '../../../reports/csv.ts'
import { attack, legit, recordFor, T0 } from '../oracle/fixtures.ts'

const CASES = CATALOG.slice(0, 12).map((c) => c.id)
const TOOLS = ['tickets.read', 'customers.read', 'refund.issue', 'tickets.write']
const PAGE = 5_000

/** The seq-th attempt of a run at 10,000 attempts/s: 70 % legit, attacks spread over twelve cases. */
function attemptAt(seq: number): AttemptRecord {
  const scheduled = T0 + seq / 10
  const over: Partial<AttemptRecord> = { scheduled_at: scheduled, started_at: scheduled + 1, ended_at: scheduled + 2 + (seq % 37), token_hash: `tok-${seq % 500}`, tool: TOOLS[seq % TOOLS.length] }
  return seq % 10 < 7 ? legit(seq, over) : attack(seq, CASES[seq % CASES.length], over)
}

export interface PhaseReport {
  phase: string
  seconds: number
  /** peak RSS of the process so far, MB */
  peakRssMb: number
  /** live JS heap after a full collection at the end of the phase, MB: what the phase kept */
  retainedHeapMb: number
}

export interface ScaleReport {
  startRssMb: number
  phases: PhaseReport[]
  /** RSS every tenth of the attempts while recording and while grading them, MB */
  recordingRssMb: number[]
  gradingRssMb: number[]
  graded: GradeStreamResult
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10
const rssMb = (): number => mb(process.memoryUsage().rss)

/** A full collection, so heap figures show what is kept rather than what is not yet collected. */
export const gc: () => void = (() => {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

export async function pushThrough(n: number, dir: string): Promise<ScaleReport> {
  const file = path.join(dir, 'run.db')
  const phases: PhaseReport[] = []
  const startRssMb = mb(process.memoryUsage().rss)
  let t = performance.now()
  const tenth = Math.max(1, Math.floor(n / 10))
  const recordingRssMb: number[] = []
  const gradingRssMb: number[] = []
  const mark = (phase: string): void => {
    const now = performance.now()
    const peakRssMb = mb(process.resourceUsage().maxRSS * 1024)
    gc()
    phases.push({ phase, seconds: Math.round(now - t) / 1000, peakRssMb, retainedHeapMb: mb(process.memoryUsage().heapUsed) })
    t = performance.now()
  }

  // 1. the measured phase: attempts stream into the store from the hot path
  const log = await AttemptLog.open(file)
  for (let seq = 1; seq <= n; seq++) {
    log.append(attemptAt(seq))
    // a real run is paced by the network; here, let the writer thread keep up every 20k attempts
    if (seq % 20_000 === 0) await log.sync()
    if (seq % tenth === 0) recordingRssMb.push(rssMb())
  }
  await log.close()
  mark('record attempts')

  // 2. evidence, page by page, one valid hash chain per component; 5 % without trace context
  const store = RunStore.open(file)
  const heads = new Map<string, string | null>()
  for (let from = 1; from <= n; from += PAGE) {
    const page: EvidenceRecord[] = []
    for (let seq = from; seq < from + PAGE && seq <= n; seq++) {
      if (seq % 100 === 0) continue // never recorded
      const a = attemptAt(seq)
      const component = seq % 2 ? 'rs-1' : 'rs-2'
      const untraced = seq % 20 === 1
      const input = recordFor(a, { id: `ev_${seq}`, component, ...(untraced ? { correlation: { token_hash: a.token_hash } } : {}) })
      const body = { v: 1, principal: { sub: null, type: 'anonymous' }, actors: [], resource: {}, correlation: {}, ...input, prev: heads.get(component) ?? null } as Omit<EvidenceRecord, 'hash'>
      const record = { ...body, hash: recordHash(body) } as EvidenceRecord
      heads.set(component, record.hash)
      page.push(record)
    }
    store.appendEvidence(page)
  }
  mark('store evidence')

  // 3. the streaming grade
  const lastEnd = store.attemptSummary().lastEnd
  let seen = 0
  const observe = (): void => {
    if (++seen % tenth === 0) gradingRssMb.push(rssMb())
  }
  const graded = gradeStream(store, { catalog: CATALOG, settleDeadline: lastEnd + 3_000, durationS: n / 10_000, cases: CASES, observe })
  store.setMeta('settle_deadline', String(lastEnd + 3_000))
  store.commit()
  mark('grade')

  // 4. the CSV reporter's work, streamed from the store
  const rows = storeRows(store, dir, lastEnd + 3_000)
  await writeAttemptsCsv(path.join(dir, 'attempts.csv'), rows.attempts(), rows.verdicts)
  await writeEvidenceCsv(path.join(dir, 'evidence.csv'), rows.evidence(), { seqById: rows.seqById, lateIds: rows.lateIds })
  mark('write CSVs')
  store.close()
  return { startRssMb, phases, recordingRssMb, gradingRssMb, graded }
}
