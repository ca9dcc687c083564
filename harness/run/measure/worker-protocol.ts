/**
 * Messages between the coordinator (main thread) and a load worker. Order on the port is kept, so
 * a worker's last attempt batch always arrives before its `done`.
 *
 *   main → worker: workerData (WorkerInit); { start, epoch } once every worker is warm; { stop } on
 *   Ctrl-C; { reply } to a call.
 *   worker → main: { log }; { ready } after warm-up; { attempts } in batches; { call } for what only
 *   the main thread can do (admin probes, cases whose prepared material cannot cross); { cancel }
 *   when a call's iteration is aborted; { done } with stats; { failed } on an error.
 */
import type { RecordableHistogram } from 'node:perf_hooks'
import type { AttackCase } from '../../contracts/attack-case.ts'
import type { AttemptRecord } from '../../contracts/attempt.ts'
import type { AsMetadata } from '../../protocol/oauth-client.ts'
import type { ExecutorConfig } from '../../load/executors/config.ts'
import type { ResourceServerInfo, StartedTarget, TargetConnectionOptions } from '../../contracts/target.ts'
import type { ExecutorStats } from '../../load/executors/index.ts'
import type { PortableIdentity } from '../../load/workers/portable-identity.ts'
import type { Segment } from '../../load/workers/segments.ts'

/** The target as data: its admin hooks stay in the main thread and are reached by calls. */
export type PortableTarget = Pick<StartedTarget, 'name' | 'version' | 'issuer' | 'resources' | 'capabilities' | 'evidence' | 'components' | 'flaws' | 'policy'> & { admin: boolean }

export interface WorkerInit {
  segment: Segment
  /** identities in the whole population (the schedule picks among all of them) */
  population: number
  seed: number
  scenarios: Record<string, ExecutorConfig>
  attackShare: number
  cases: AttackCase[]
  eligible: [string, number[]][]
  /** the identities of this worker's segment, in population order */
  identities: PortableIdentity[]
  /** prepared material of the cases the worker fires itself, encoded by portable-value.ts */
  prepared: [string, unknown][]
  /** cases whose material cannot cross a thread: the main thread fires them for the worker */
  remote: string[]
  target: PortableTarget
  rs: ResourceServerInfo
  meta: AsMetadata
  connections: number
  /** the target profile's connection options (host allowlist, TLS), as the main thread's pools have them */
  connection: TargetConnectionOptions
  /** warm-up requests this worker sends before the measured phase */
  warmRequests: number
}

export type Call =
  | { op: 'refund-count'; traceId: string }
  | { op: 'fire'; scenario: string; iteration: number; scheduledAt: number; who: number; caseId: string; salt: number }

export interface WorkerScenarioResult {
  name: string
  stats: ExecutorStats
  lag?: RecordableHistogram
}

export type FromWorker =
  | { type: 'log'; line: string }
  | { type: 'ready' }
  | { type: 'attempts'; records: AttemptRecord[] }
  | { type: 'call'; id: number; call: Call }
  | { type: 'cancel'; id: number }
  | { type: 'done'; scenarios: WorkerScenarioResult[] }
  | { type: 'failed'; message: string }

export type ToWorker = { type: 'start'; epoch: number } | { type: 'stop' } | { type: 'reply'; id: number; value?: unknown; error?: string }
