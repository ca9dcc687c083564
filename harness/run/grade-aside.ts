/**
 * The second thread of a grading over a run store on disk (grade-aside-worker.ts). It parses and
 * hashes the run's records for the record checks (oracle/evidence-checks.ts) while the grading
 * thread builds its lookup indexes and makes the joins; then, if asked, it grades ranges of
 * attempts (oracle/verdict-pass.ts) beside the grading thread, both taking ranges in turn from one
 * shared counter (bench `join`: on two cores this halves the verdict pass, the longest step).
 * Grading is synchronous from end to end (finalize.ts, `gatecrash report`), so this thread blocks
 * on shared flags and reads the worker's answers from the port directly, without the event loop.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import type { EvidenceCheckInput, EvidenceCheckResult } from '../oracle/evidence-checks.ts'
import type { GradeAside, SeqRange, SharedPassInput, VerdictShare } from '../oracle/grade-stream.ts'
import type { VerdictPart } from '../oracle/verdict-pass.ts'

export interface AsideOutcome {
  result: EvidenceCheckResult
  /** rowids of the records whose hash does not recompute, in delivery order */
  tampered: number[]
}

/** Slots of the shared Int32Array both threads block and count on. */
export const FLAG = {
  /** 1 once the checks' answer is on the port, whatever happened */
  checked: 0,
  /** 1 once the worker's code runs */
  started: 1,
  /** what the worker does after its checks: 0 not said yet, 1 grade ranges (the plan is on the port), 2 stop */
  command: 2,
  /** the next range to grade, taken by both threads with Atomics.add */
  next: 3,
  /** 1 once the worker takes no more ranges and has posted every part it graded */
  shared: 4,
  /** 1 while one of the two holds its turn to write run.db (writeTurn) */
  write: 5,
} as const
const FLAGS = 6

/** A thread's turn to write run.db while the two grade side by side. */
export interface WriteTurn {
  /** waits for the turn; false if it gave up waiting (SQLite's own lock still serialises the writes) */
  take(): boolean
  /** takes the turn if no one holds it, without waiting */
  tryTake(): boolean
  give(): void
}

/** How long a thread waits for its turn before writing anyway: the other one holding it this long has failed. */
const TURN_WAIT_MS = 10_000

/**
 * Turns to write, taken through a shared flag. Left to SQLite's lock, the two threads' page
 * commits collided often, and its busy handler sleeps a millisecond or more on each collision
 * (bench `join`: ~0.45 s of each thread's verdict pass spent so); a waiter here wakes the moment
 * the turn is given. Verdicts wait for a free turn (tryTake) while their batch is not full, so a
 * thread rarely waits at all (run-store.ts VERDICT_BATCH).
 */
export function writeTurn(flags: Int32Array): WriteTurn {
  return {
    take() {
      const until = Date.now() + TURN_WAIT_MS
      while (Atomics.compareExchange(flags, FLAG.write, 0, 1) !== 0) {
        if (Date.now() > until) return false
        Atomics.wait(flags, FLAG.write, 1, 50)
      }
      return true
    },
    tryTake() {
      return Atomics.compareExchange(flags, FLAG.write, 0, 1) === 0
    },
    give() {
      Atomics.store(flags, FLAG.write, 0)
      Atomics.notify(flags, FLAG.write, 1)
    },
  }
}

/** What grade-aside-worker.ts is started with. */
export interface AsideData {
  file: string
  input: EvidenceCheckInput
  size: number
  /** whether its grading reads the records' views (run-store.ts viewsTrusted) */
  views: boolean
  flags: Int32Array
  port: MessagePort
}

/** The plan the worker reads when told to grade. */
export interface SharePlan {
  ranges: readonly SeqRange[]
  input: SharedPassInput
  size: number
}

export type AsideMessage =
  | { kind: 'checks'; ok: true; outcome: AsideOutcome }
  | { kind: 'checks'; ok: false; error: string }
  | { kind: 'part'; index: number; part: VerdictPart }

/**
 * How long a worker may take to start running its code. One that fails before (Node refuses the
 * worker's flags, say) never answers and its error event needs the event loop this thread is
 * blocking, so the wait gives up and the checks run in this thread instead.
 */
const STARTUP_MS = 30_000

/** What the store does in this thread around a share. */
export interface ShareHooks {
  /** before the worker grades: the store commits its joins and builds the indexes the worker's grading reads (so the worker writes nothing but verdicts), and writes by turns from now */
  begin(turn: WriteTurn): void
  /** once the worker grades no more */
  end(): void
}

/** Starts the checks in a worker. */
export function startAside(file: string, input: EvidenceCheckInput, size: number, views: boolean, hooks: ShareHooks): GradeAside {
  const flags = new Int32Array(new SharedArrayBuffer(FLAGS * 4))
  const { port1, port2 } = new MessageChannel()
  let worker: Worker
  try {
    const data: AsideData = { file, input, size, views, flags, port: port2 }
    // The process's Node flags are inherited, unless one is for `-e` input, which a worker refuses
    // (and naming flags instead refuses V8's, such as --expose-gc).
    const execArgv = process.execArgv.some((a) => a.startsWith('--input-type')) ? [] : undefined
    worker = new Worker(new URL('./grade-aside-worker.ts', import.meta.url), { workerData: data, transferList: [port2], ...(execArgv ? { execArgv } : {}) })
  } catch {
    port1.close()
    return { checks: () => undefined }
  }
  worker.unref()
  // a failure after its code started is answered on the port; before, STARTUP_MS ends the wait
  worker.on('error', () => {})

  let checks: AsideMessage | undefined
  const parts: Extract<AsideMessage, { kind: 'part' }>[] = []
  const drain = (): void => {
    for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) {
      const message = m.message as AsideMessage
      if (message.kind === 'checks') checks = message
      else if (message.kind === 'part') parts.push(message)
    }
  }
  // asked before each wait; a worker that never started is waited for once
  let running: boolean | undefined
  const started = (): boolean => (running ??= Atomics.wait(flags, FLAG.started, 0, STARTUP_MS) !== 'timed-out')
  const tell = (command: 1 | 2): void => {
    if (Atomics.compareExchange(flags, FLAG.command, 0, command) === 0) Atomics.notify(flags, FLAG.command)
  }
  let sharing = false
  const end = (): void => {
    port1.close()
    void worker.terminate()
  }

  return {
    checks() {
      if (!sharing) tell(2)
      if (started()) Atomics.wait(flags, FLAG.checked, 0)
      drain()
      if (!sharing) end()
      return checks?.kind === 'checks' && checks.ok ? checks.outcome : undefined
    },
    share(ranges: readonly SeqRange[], pass: SharedPassInput, pageSize: number): VerdictShare {
      hooks.begin(writeTurn(flags))
      sharing = true
      const plan: SharePlan = { ranges, input: pass, size: pageSize }
      port1.postMessage(plan)
      tell(1)
      return {
        claim: () => {
          const k = Atomics.add(flags, FLAG.next, 1)
          return k < ranges.length ? k : -1
        },
        take: () => {
          drain()
          return parts.splice(0)
        },
        finish: () => {
          if (started()) Atomics.wait(flags, FLAG.shared, 0)
          hooks.end()
          drain()
          // the checks' answer is read from the buffer afterwards (checks())
          sharing = false
        },
      }
    },
  }
}
