/**
 * The worker side of grade-aside.ts: opens the run store read-only, feeds every record in delivery
 * order to the grader's record checks and answers on its port; then, told to, grades ranges of
 * attempts taken from the shared counter, writes their verdicts and posts each part. It says it
 * started first; everything after is inside a try, module loading included (dynamic imports), so
 * the grading thread waiting on a flag is always released.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads'
import type { GradedAttempt } from '../contracts/verdict.ts'
import { FLAG, writeTurn, type AsideData, type AsideMessage, type SharePlan } from './grade-aside.ts'

const { file, input, size, views, flags, port } = workerData as AsideData
/** a grading thread that never says whether to share has failed; waiting longer helps nobody */
const COMMAND_WAIT_MS = 30 * 60_000

const post = (m: AsideMessage): void => port.postMessage(m)
const raise = (slot: number): void => {
  Atomics.store(flags, slot, 1)
  Atomics.notify(flags, slot)
}

Atomics.store(flags, FLAG.started, 1)
Atomics.notify(flags, FLAG.started)
let clean = false
try {
  const { RunStore } = await import('./run-store.ts')
  const { EvidenceChecks } = await import('../oracle/evidence-checks.ts')
  const store = RunStore.openReadOnly(file)
  try {
    const checks = new EvidenceChecks(input, store.headSamples())
    const tampered: number[] = []
    if (store.canonical) {
      for (const page of store.storedEvidencePages(size)) for (const r of page) if (!checks.addStored(r)) tampered.push(r.rowid)
    } else {
      for (const page of store.evidencePages(size)) for (const r of page) if (!checks.add(r.rowid, r.ts, r.record)) tampered.push(r.rowid)
    }
    post({ kind: 'checks', ok: true, outcome: { result: checks.finish(store.redeliveredRecords(), store.verificationProblems()), tampered } })
    // altered records change the joins: whatever is graded before they are corrected is dropped
    clean = tampered.length === 0
  } finally {
    store.close()
  }
} catch (e) {
  post({ kind: 'checks', ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) })
}
raise(FLAG.checked)

try {
  if (clean && Atomics.wait(flags, FLAG.command, 0, COMMAND_WAIT_MS) !== 'timed-out' && Atomics.load(flags, FLAG.command) === 1) {
    const plan = receiveMessageOnPort(port)?.message as SharePlan | undefined
    if (plan) await share(plan)
  }
} catch {
  // a range taken and not posted is graded by the grading thread (its verdicts replace any written here)
} finally {
  raise(FLAG.shared)
  port.close()
}

/**
 * Writes the verdicts of its ranges through a connection of its own, in batches as the grading
 * thread does (run-store.ts VERDICT_BATCH), the two taking turns (grade-aside.ts writeTurn), rather
 * than sending a million verdicts over for that thread to write.
 */
async function share(plan: SharePlan): Promise<void> {
  const { RunStore } = await import('./run-store.ts')
  const { gradeRange } = await import('../oracle/verdict-pass.ts')
  const store = RunStore.open(file)
  store.viewsTrusted = views
  store.writeTurn = writeTurn(flags)
  try {
    const write = (out: GradedAttempt[]): void => {
      store.addVerdicts(out)
      store.pageDone()
    }
    for (let k = Atomics.add(flags, FLAG.next, 1); k < plan.ranges.length; k = Atomics.add(flags, FLAG.next, 1)) {
      const part = gradeRange(store, plan.input, plan.size, write, plan.ranges[k])
      // a part posted is a range whose verdicts are written
      store.flushVerdicts()
      post({ kind: 'part', index: k, part })
    }
  } finally {
    store.close()
  }
}
