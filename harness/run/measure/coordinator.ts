/**
 * The measured phase across worker threads (scenario option `workers` > 1), like k6 execution
 * segments: worker w owns a contiguous segment of the population and starts exactly the iterations
 * whose carrier it owns, so the dispatched (scenario, iteration, identity, action) set matches a
 * one-worker run. The main thread keeps everything that must stay whole: the run store, progress and
 * grading get every attempt through the same onAttempt (renumbered, since each thread counts its
 * own `seq`), the target's admin hooks answer workers' calls, and cases whose prepared material
 * cannot cross a thread (portable-value.ts) are fired here for the worker that owns the carrier.
 */
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import type { AttemptRecord } from '../../contracts/attempt.ts'
import type { EvidenceSourceSpec, StartedTarget } from '../../contracts/target.ts'
import { HarnessError } from '../../contracts/errors.ts'
import { epochNow } from '../../load/clock.ts'
import { executorMaxVUs, type ExecutorStats } from '../../load/executors/index.ts'
import type { LoadPhaseInput } from './phase-input.ts'
import { act } from './act.ts'
import { mergeStats, type WorkerPart } from '../../load/workers/merge-stats.ts'
import { encodePortable } from '../../load/workers/portable-value.ts'
import { toPortable } from '../../load/workers/portable-identity.ts'
import type { Call, FromWorker, PortableTarget, ToWorker, WorkerInit, WorkerScenarioResult } from './worker-protocol.ts'
import type { RouteInput } from './route.ts'
import { poolShare, segmentOf } from '../../load/workers/segments.ts'

/** A load worker threw or exited before finishing: the run fails (its directory is still written). */
export class WorkerFailed extends HarnessError {
  static override code = 'ERR_WORKER_FAILED'
  override code = 'ERR_WORKER_FAILED'
}

/** Time between the start message and the common start epoch, so every worker has it before it is due. */
const START_MARGIN_MS = 100
/** After a stop or a failure, workers that have not finished by then (past their own gracefulStop) are terminated. */
const TERMINATE_AFTER_MS = 35_000

export interface CoordinatorInput extends LoadPhaseInput {
  workers: number
  route: RouteInput
  prepared: ReadonlyMap<string, unknown>
}

interface Running {
  worker: Worker
  done: Promise<WorkerScenarioResult[]>
  ready: Promise<void>
  send(m: ToWorker): void
}

export async function runWorkers(input: CoordinatorInput): Promise<Record<string, ExecutorStats>> {
  const n = input.identities.length
  // A segment without identities would own no iteration: never more workers than identities.
  const count = Math.max(1, Math.min(input.workers, n))
  const log = (l: string) => input.kit.log(l)
  const prepared: [string, unknown][] = []
  const remote: string[] = []
  for (const { id } of input.route.cases) {
    const material = input.prepared.get(id)
    const encoded = encodePortable(material)
    if (material !== undefined && encoded === undefined) remote.push(id)
    else prepared.push([id, encoded])
  }
  for (const id of remote) log(`case ${id}: fired from the main thread for every worker (its prepared material cannot cross a thread)`)
  const connections = Math.max(...Object.values(input.config.scenarios).map(executorMaxVUs))
  const entry = new URL(`./load-worker${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url)

  let seq = 0
  // Each thread numbers its attempts from 1; the store keys attempts by seq, so they get one sequence here.
  const record = (a: AttemptRecord) => input.onAttempt({ ...a, seq: ++seq })
  let failure: WorkerFailed | undefined
  const all: Running[] = []
  let terminateTimer: NodeJS.Timeout | undefined
  const stopAll = () => {
    for (const r of all) r.send({ type: 'stop' })
    terminateTimer ??= setTimeout(() => all.forEach((r) => void r.worker.terminate()), TERMINATE_AFTER_MS)
  }
  const fail = (e: WorkerFailed) => {
    failure ??= e
    stopAll()
  }

  for (let w = 0; w < count; w++) {
    const segment = segmentOf(n, w, count)
    const init: WorkerInit = {
      segment,
      population: n,
      seed: input.seed,
      scenarios: input.config.scenarios,
      attackShare: input.route.attackShare,
      cases: [...input.route.cases],
      eligible: [...input.route.eligible].map(([id, list]) => [id, [...list]]),
      identities: input.identities.slice(segment.lo, segment.hi).map(toPortable),
      prepared,
      remote,
      target: portableTarget(input.target),
      rs: input.rs,
      meta: input.kit.meta,
      connections: poolShare(connections, (segment.hi - segment.lo) / n),
      connection: input.pools.connection,
      warmRequests: Math.min(100, (segment.hi - segment.lo) * 2),
    }
    all.push(start(entry, init, w, count, { input, record, fail }))
  }
  const onStop = () => stopAll()
  input.stop.addEventListener('abort', onStop, { once: true })
  if (input.stop.aborted) stopAll()
  try {
    await Promise.all(all.map((r) => r.ready.catch(() => {})))
    if (failure) throw failure
    const epoch = epochNow() + START_MARGIN_MS
    for (const r of all) r.send({ type: 'start', epoch })
    // The fault schedule's zero is the instant the workers' timelines start (awaited here, so a
    // run that ends early never starts its faults after the fact).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, epoch - epochNow())))
    if (!failure) input.onStart?.()
    const results = await Promise.all(all.map((r) => r.done.catch(() => [] as WorkerScenarioResult[])))
    if (failure) throw failure
    const out: Record<string, ExecutorStats> = {}
    for (const name of Object.keys(input.config.scenarios)) {
      const parts: WorkerPart[] = results.flatMap((rs) => rs.filter((r) => r.name === name).map((r) => ({ stats: r.stats, lag: r.lag })))
      out[name] = mergeStats(parts)
    }
    return out
  } finally {
    input.stop.removeEventListener('abort', onStop)
    clearTimeout(terminateTimer)
    await Promise.all(all.map((r) => r.done.catch(() => {})))
  }
}

function start(
  entry: URL,
  init: WorkerInit,
  w: number,
  count: number,
  ctx: { input: CoordinatorInput; record(a: AttemptRecord): void; fail(e: WorkerFailed): void },
): Running {
  const { input } = ctx
  const name = `load worker ${w + 1}/${count}`
  const worker = new Worker(entry, { workerData: init, name })
  const send = (m: ToWorker) => worker.postMessage(m)
  const fired = new Map<number, AbortController>()
  let markReady!: () => void
  let finish!: (r: WorkerScenarioResult[]) => void
  let failed!: (e: Error) => void
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  const done = new Promise<WorkerScenarioResult[]>((resolve, reject) => ((finish = resolve), (failed = reject)))
  // The failure reaches the run through ctx.fail; this only keeps an early exit from being an unhandled rejection.
  done.catch(() => {})
  let result: WorkerScenarioResult[] | undefined

  const answer = async (id: number, call: Call): Promise<void> => {
    try {
      if (call.op === 'refund-count') {
        send({ type: 'reply', id, value: await input.target.admin!.refundCount(call.traceId) })
        return
      }
      const ctl = new AbortController()
      fired.set(id, ctl)
      const route = { kind: 'attack' as const, caseId: call.caseId, who: call.who, salt: call.salt }
      const env = { identity: input.identities[call.who], rs: input.rs, target: input.target, kit: input.kit, pools: input.pools, scenario: call.scenario, iteration: call.iteration, scheduledAt: call.scheduledAt, signal: ctl.signal, onAttempt: ctx.record }
      await act(route, env, input.prepared)
      send({ type: 'reply', id })
    } catch (e) {
      send({ type: 'reply', id, error: (e as Error)?.message ?? String(e) })
    } finally {
      fired.delete(id)
    }
  }

  worker.on('message', (m: FromWorker) => {
    switch (m.type) {
      case 'log':
        return input.kit.log(m.line)
      case 'ready':
        return markReady()
      case 'attempts':
        for (const a of m.records) ctx.record(a)
        return
      case 'call':
        return void answer(m.id, m.call)
      case 'cancel':
        return fired.get(m.id)?.abort()
      case 'done':
        result = m.scenarios
        return
      case 'failed':
        return ctx.fail(new WorkerFailed(`${name} failed: ${m.message}`))
    }
  })
  worker.on('error', (e) => ctx.fail(new WorkerFailed(`${name} failed: ${e.stack ?? e.message}`, { cause: e })))
  worker.on('exit', (code) => {
    for (const c of fired.values()) c.abort()
    markReady()
    if (result) return finish(result)
    const e = new WorkerFailed(`${name} stopped before finishing (exit code ${code})`)
    ctx.fail(e)
    failed(e)
  })
  return { worker, done, ready, send }
}

/**
 * What a worker gets of the target: named fields of plain data only. Hooks, the registration policy
 * and a mapping's map() are functions, which cannot cross a thread (and workers use none of them).
 */
function portableTarget(t: StartedTarget): PortableTarget {
  const { name, version, issuer, resources, capabilities, components, flaws, policy } = t
  return { name, version, issuer, resources, capabilities, components, flaws, policy, evidence: plainEvidence(t.evidence), admin: t.admin !== undefined }
}

function plainEvidence(e: EvidenceSourceSpec): EvidenceSourceSpec {
  if (e.kind === 'jsonl') return { ...e, mapping: { fields: e.mapping.fields } }
  if (e.kind === 'combined') return { ...e, sources: e.sources.map(plainEvidence) }
  return e
}
