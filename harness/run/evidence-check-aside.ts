/**
 * Runs the grader's record checks (oracle/evidence-checks.ts) in a worker thread over a run store
 * on disk, so a run's records are parsed and hashed on the second core while the grading thread
 * builds its lookup indexes and makes the joins (bench `join`: the checks are about a third of a
 * million-row grading). Grading is synchronous from end to end (finalize.ts, `gatecrash report`),
 * so the result is waited for by blocking on a shared flag and read from the port directly,
 * without the event loop.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import type { EvidenceCheckInput, EvidenceCheckResult } from '../oracle/evidence-checks.ts'

export interface AsideOutcome {
  result: EvidenceCheckResult
  /** rowids of the records whose hash does not recompute, in delivery order */
  tampered: number[]
}

/** What evidence-check-worker.ts is started with. */
export interface AsideData {
  file: string
  input: EvidenceCheckInput
  size: number
  /** [0]: set to 1 (and notified) once the answer is on the port, whatever happened; [1]: set to 1 when the worker's code starts */
  done: Int32Array
  port: MessagePort
}

/**
 * How long a worker may take to start running its code. One that fails before (Node refuses the
 * worker's flags, say) never answers and its error event needs the event loop this thread is
 * blocking, so the wait gives up and the checks run in this thread instead.
 */
const STARTUP_MS = 30_000

export type AsideAnswer = { ok: true; outcome: AsideOutcome } | { ok: false; error: string }

/** Starts the checks; the function returned waits for them, or gives undefined if they failed. */
export function checkInWorker(file: string, input: EvidenceCheckInput, size: number): () => AsideOutcome | undefined {
  const done = new Int32Array(new SharedArrayBuffer(8))
  const { port1, port2 } = new MessageChannel()
  let worker: Worker
  try {
    const data: AsideData = { file, input, size, done, port: port2 }
    // The process's Node flags are inherited, unless one is for `-e` input, which a worker refuses
    // (and naming flags instead refuses V8's, such as --expose-gc).
    const execArgv = process.execArgv.some((a) => a.startsWith('--input-type')) ? [] : undefined
    worker = new Worker(new URL('./evidence-check-worker.ts', import.meta.url), { workerData: data, transferList: [port2], ...(execArgv ? { execArgv } : {}) })
  } catch {
    port1.close()
    return () => undefined
  }
  worker.unref()
  // a failure after its code started is answered on the port; before, STARTUP_MS ends the wait
  worker.on('error', () => {})
  return () => {
    const started = Atomics.wait(done, 1, 0, STARTUP_MS) !== 'timed-out'
    if (started) Atomics.wait(done, 0, 0)
    const answer = receiveMessageOnPort(port1)?.message as AsideAnswer | undefined
    port1.close()
    void worker.terminate()
    return answer?.ok ? answer.outcome : undefined
  }
}
