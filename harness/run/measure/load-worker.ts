/**
 * A load worker thread: one segment of the population (segments.ts) with its own connection pools,
 * running every scenario's executor over the whole numbered schedule and starting only the
 * iterations its identities carry. Started by coordinator.ts; protocol in protocol.ts.
 *
 * Before the measured phase it warms its connections and the JIT (docs/platform.md: a cold start at a
 * high rate builds a backlog that reads as latency), then waits for the common start epoch.
 */
import { createHistogram } from 'node:perf_hooks'
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import type { AttemptRecord } from '../../contracts/attempt.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { warmUp } from './warm-up.ts'
import { parseDuration } from '../../contracts/duration.ts'
import type { StartedTarget, TargetAdmin } from '../../contracts/target.ts'
import { epochNow, timerDelay } from '../../load/clock.ts'
import { runExecutor, type ExecutionSegment, type Iterate } from '../../load/executors/index.ts'
import { HttpPools } from '../../load/http-pool.ts'
import { HostPolicy } from '../../protocol/host-policy.ts'
import { act } from './act.ts'
import { fromPortable } from '../../load/workers/portable-identity.ts'
import { decodePortable } from '../../load/workers/portable-value.ts'
import type { Call, FromWorker, ToWorker, WorkerInit, WorkerScenarioResult } from './worker-protocol.ts'
import { routeIteration, scenarioSeed, type RouteInput } from './route.ts'
import { poolShare, vuShare } from '../../load/workers/segments.ts'

/** Attempts go to the main thread at this many records or this long after the first, whichever comes first. */
const BATCH_RECORDS = 500
const BATCH_MS = 100
/** proof signatures per worker before the measured phase, so signing runs optimised code from the first iteration */
const JIT_PROOFS = 200

class AttemptBatch {
  private records: AttemptRecord[] = []
  private timer: NodeJS.Timeout | null = null
  private readonly port: MessagePort
  constructor(port: MessagePort) {
    this.port = port
  }
  add = (a: AttemptRecord): void => {
    this.records.push(a)
    if (this.records.length >= BATCH_RECORDS) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS)
  }
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.records.length === 0) return
    post(this.port, { type: 'attempts', records: this.records })
    this.records = []
  }
}

function post(port: MessagePort, m: FromWorker): void {
  port.postMessage(m)
}

function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => (clearTimeout(t), signal.removeEventListener('abort', done), resolve())
    const t = setTimeout(done, timerDelay(at - epochNow()))
    signal.addEventListener('abort', done, { once: true })
  })
}

async function main(port: MessagePort, init: WorkerInit): Promise<void> {
  const log = (line: string) => post(port, { type: 'log', line: `worker ${init.segment.index + 1}/${init.segment.count}: ${line}` })
  const stop = new AbortController()
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  let calls = 0
  let begin!: (epoch: number) => void
  const started = new Promise<number>((resolve) => (begin = resolve))
  port.on('message', (m: ToWorker) => {
    if (m.type === 'start') begin(m.epoch)
    else if (m.type === 'stop') stop.abort()
    else {
      const p = pending.get(m.id)
      pending.delete(m.id)
      if (m.error !== undefined) p?.reject(new Error(m.error))
      else p?.resolve(m.value)
    }
  })
  /** asks the main thread; an aborted iteration cancels its call there too */
  const call = (c: Call, signal?: AbortSignal): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++calls
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = () => {
        pending.delete(id)
        post(port, { type: 'cancel', id })
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const off = () => signal?.removeEventListener('abort', onAbort)
      pending.set(id, { resolve: (v) => (off(), resolve(v)), reject: (e) => (off(), reject(e)) })
      post(port, { type: 'call', id, call: c })
    })

  const { lo, hi, index, count } = init.segment
  const identities = init.identities.map(fromPortable)
  const admin: TargetAdmin | undefined = init.target.admin
    ? {
        refundCount: async (traceId) => (await call({ op: 'refund-count', traceId })) as number,
        rotateSigningKey: () => Promise.reject(new TypeError('rotateSigningKey runs in the main thread only')),
        retireSigningKey: () => Promise.reject(new TypeError('retireSigningKey runs in the main thread only')),
        currentSigningKid: () => Promise.reject(new TypeError('currentSigningKid runs in the main thread only')),
        setTokenTtl: () => Promise.reject(new TypeError('setTokenTtl runs in the main thread only')),
      }
    : undefined
  const target: StartedTarget = {
    ...init.target,
    admin,
    stop: async () => {},
    [Symbol.asyncDispose]: async () => {},
  }
  const pools = new HttpPools(init.connections, { hosts: HostPolicy.fromProfile(init.connection.hosts), tls: init.connection.tls })
  const batch = new AttemptBatch(port)
  const route: RouteInput = { identities: init.population, attackShare: init.attackShare, cases: init.cases, eligible: new Map(init.eligible) }
  const prepared = new Map(init.prepared.map(([id, m]) => [id, decodePortable(m)]))
  const remote = new Set(init.remote)
  try {
    await warmUp({ identities, rs: init.rs, pools, log, requests: init.warmRequests })
    for (let k = 0; k < JIT_PROOFS; k++) createDpopProof(identities[k % identities.length].credential.key, { htm: 'GET', htu: init.rs.origin, ath: identities[k % identities.length].credential.tokenHash })
    post(port, { type: 'ready' })
    const epoch = await started

    const runOne = async (name: string): Promise<WorkerScenarioResult> => {
      const cfg = init.scenarios[name]
      const seed = scenarioSeed(init.seed, name)
      const startAt = epoch + parseDuration(cfg.startTime ?? '0s')!
      await sleepUntil(startAt, stop.signal)
      const lag = createHistogram()
      const segment: ExecutionSegment = {
        owns: (i) => {
          const who = routeIteration(route, seed, i).who
          return who >= lo && who < hi
        },
        vus: (total) => vuShare(total, index, count),
        poolVUs: (total) => poolShare(total, (hi - lo) / init.population),
        startAt,
        lag,
      }
      const iterate: Iterate = async ({ iteration, scheduledAt, signal }) => {
        const r = routeIteration(route, seed, iteration)
        if (r.kind === 'attack' && remote.has(r.caseId!)) {
          await call({ op: 'fire', scenario: name, iteration, scheduledAt, who: r.who, caseId: r.caseId!, salt: r.salt }, signal)
          return
        }
        await act(r, { identity: identities[r.who - lo], rs: init.rs, target, kit: { meta: init.meta }, pools, scenario: name, iteration, scheduledAt, signal, onAttempt: batch.add }, prepared)
      }
      const stats = await runExecutor(cfg, iterate, stop.signal, segment)
      return { name, stats, ...(stats.lagP50Us !== undefined ? { lag } : {}) }
    }
    const scenarios = await Promise.all(Object.keys(init.scenarios).map(runOne))
    batch.flush()
    post(port, { type: 'done', scenarios })
  } finally {
    batch.flush()
    await pools.close()
  }
}

const port = parentPort
if (port) {
  main(port, workerData as WorkerInit).then(
    () => port.close(),
    (e: unknown) => {
      post(port, { type: 'failed', message: (e as Error)?.stack ?? String(e) })
      port.close()
    },
  )
}
