/**
 * The worker side of evidence-check-aside.ts: opens the run store read-only, feeds every record in
 * delivery order to the grader's record checks, and answers once on its port. It says it started
 * first; everything after is inside one try, module loading included (dynamic imports), so the
 * grading thread waiting on `done` is always released.
 */
import { workerData } from 'node:worker_threads'
import type { AsideAnswer, AsideData } from './evidence-check-aside.ts'

const { file, input, size, done, port } = workerData as AsideData
Atomics.store(done, 1, 1)
Atomics.notify(done, 1)
let answer: AsideAnswer
try {
  const { RunStore } = await import('./run-store.ts')
  const { EvidenceChecks } = await import('../oracle/evidence-checks.ts')
  const store = RunStore.openReadOnly(file)
  try {
    const checks = new EvidenceChecks(input, store.headSamples())
    const tampered: number[] = []
    for (const page of store.evidencePages(size)) for (const r of page) if (!checks.add(r.rowid, r.ts, r.record)) tampered.push(r.rowid)
    answer = { ok: true, outcome: { result: checks.finish(store.redeliveredRecords(), store.verificationProblems()), tampered } }
  } finally {
    store.close()
  }
} catch (e) {
  answer = { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }
}
port.postMessage(answer)
Atomics.store(done, 0, 1)
Atomics.notify(done, 0)
