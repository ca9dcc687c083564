/**
 * One transaction of a finished run, rebuilt from the target's records alone (oracle/reconstruct.ts)
 * beside the attempt the harness logged: what `gatecrash trace <run-dir> <trace-id>` prints. Reads
 * the run store only, so it works on any run directory with a run.db, graded or not.
 */
import { access } from 'node:fs/promises'
import path from 'node:path'
import type { AttemptRecord } from '../contracts/attempt.ts'
import { RunDirFailed, TraceUnknown } from '../contracts/errors.ts'
import type { ReconstructedTransaction } from '../contracts/run-json.ts'
import { rebuild } from '../oracle/reconstruct.ts'
import { RUN_FILES } from './run-dir.ts'
import { RunStore } from './run-store.ts'

export interface TracedTransaction {
  attempt: AttemptRecord
  transaction: ReconstructedTransaction
  /** why the chain could not be judged at all (the trail holds no exchange, or the store predates keeping them) */
  notCovered?: string
}

const WHERE_TRACE_IDS = `trace ids are in ${RUN_FILES.attemptsCsv} (column trace_id) and in ${RUN_FILES.runJson} (cases[].examples[].trace_id, reconstruction.transactions[].trace_id)`

export async function traceTransaction(dir: string, traceId: string): Promise<TracedTransaction> {
  const file = path.join(dir, RUN_FILES.db)
  if (!(await access(file).then(() => true, () => false))) {
    throw new RunDirFailed(`${dir} has no ${RUN_FILES.db}`, { hint: 'pass a folder under runs/ written by `gatecrash run` (an old run directory: `gatecrash report` imports its logs first)' })
  }
  const store = RunStore.open(file)
  try {
    const attempt = store.attemptByTrace(traceId.trim().toLowerCase())
    if (!attempt) throw new TraceUnknown(`no attempt of the run in ${dir} carried trace id ${traceId}`, { hint: WHERE_TRACE_IDS })
    const joined = store.recordsOf(attempt.seq)
    const records = joined.length > 0 ? joined : store.recordsByTrace(attempt.trace_id)
    const transaction = rebuild(attempt, records, { issuing: (h) => store.exchangeIssuing(h) })
    const notCovered = !store.exchangesKept()
      ? 'the run store predates reconstruction: the exchange records provisioning wrote were not kept'
      : store.exchangeCount() === 0 ? 'the target records no token exchange' : undefined
    return { attempt, transaction, ...(notCovered ? { notCovered } : {}) }
  } finally {
    store.close()
  }
}
