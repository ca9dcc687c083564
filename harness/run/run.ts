/**
 * One run, start to finish: load the scenario, start the target, provision the population, warm
 * up, measure, let evidence settle, grade, write the run directory. Whatever happens midway, what
 * was measured is on disk and graded (verdict `incomplete` if the run did not finish).
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CATALOG, selectCases } from '../attacks/catalog.ts'
import { headsOf } from '../evidence/chain.ts'
import { httpCursorSource } from '../evidence/http-cursor-source.ts'
import { HttpPools } from '../load/http-pool.ts'
import { describeExecutor, executorMaxVUs } from '../load/executors/index.ts'
import { loadScenario, type ScenarioOverrides } from '../scenario/load.ts'
import type { TargetAdapter, StartedTarget } from '../contracts/target.ts'
import { AttemptLog } from './attempt-log.ts'
import { finalizeRun, type RunContext } from './finalize.ts'
import { provisionPhase } from './provision-phase.ts'
import { measure, type ScenarioStats } from './measure/measure.ts'
import { Progress } from './progress.ts'
import type { Reporter } from './reporter.ts'
import { makeRunDir, newRunId, RUN_FILES } from './run-dir.ts'
import type { RunJson } from '../contracts/run-json.ts'
import { warmUp } from './measure/warm-up.ts'
import { EvidenceTail } from './evidence-tail.ts'
import { makeKit } from '../attacks/kit.ts'
import { parseDuration } from '../contracts/duration.ts'
import { ChaosSession } from '../chaos/chaos-session.ts'
import type { FaultInjector } from '../chaos/injector.ts'
import type { FaultWindowRecord } from '../contracts/fault-window.ts'
import { LiveGates } from '../oracle/live-gates.ts'

export interface RunOptions {
  scenarioFile: string
  overrides?: ScenarioOverrides
  target: TargetAdapter
  flaws?: string[]
  outRoot?: string
  reporters?: Reporter[]
  /** first Ctrl-C: stop scheduling, finish in-flight work, still grade and write everything */
  stop?: AbortSignal
  log?: (line: string) => void
  progressOut?: NodeJS.WriteStream
  /** fault injector plugins for `Fault.custom(...)` (tried before the built-ins) */
  injectors?: FaultInjector[]
  /** state for cleaning up after a killed harness (fault proxy, paused target processes); default `.gatecrash` */
  stateDir?: string
}

export interface RunOutcome {
  dir: string
  run: RunJson
  /** the error that cut the run short; the run directory is written all the same */
  failure?: unknown
}

export async function run(options: RunOptions): Promise<RunOutcome> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const scenario = await loadScenario(options.scenarioFile, options.overrides)
  const config = scenario.config
  // k6's abortOnFail: a threshold crossing while measuring stops the run as a first Ctrl-C does.
  const live = new LiveGates({ thresholds: config.thresholds, catalog: CATALOG, log, userStop: options.stop })
  const stop = AbortSignal.any([options.stop ?? new AbortController().signal, live.signal])
  const seed = config.seed ?? 1
  const runId = newRunId(scenario.name)
  const dir = await makeRunDir(options.outRoot ?? 'runs', runId)
  const attempts = await AttemptLog.open(path.join(dir, RUN_FILES.db))
  const { cases } = selectCases(config.attacks?.cases ?? [])
  // `faults`: the fault windows as they happened, so a re-grade judges the same windows.
  const ctx: RunContext & { faults?: FaultWindowRecord[] } = {
    runId,
    dir,
    scenarioFile: options.scenarioFile,
    scenarioName: scenario.name,
    config,
    seed,
    startedAt: new Date().toISOString(),
    target: { name: options.target.name, version: '', flaws: options.flaws ?? [], issuer: '' },
    population: { tenants: 0, principals: 0, agents: 0, sub_agents: 0, max_depth: 0 },
    scenarios: [],
    delegationSamples: [],
    chainStart: {},
    evidenceCursor: null,
  }
  await writeContext(ctx)
  log(`gatecrash run ${runId}: scenario ${scenario.name}, seed ${seed}, target ${options.target.name}${ctx.target.flaws.length ? ` (flaws: ${ctx.target.flaws.join(', ')})` : ''}`)

  let target: StartedTarget | undefined
  const pools = new HttpPools(Math.max(...Object.values(config.scenarios).map(executorMaxVUs)))
  let stoppedEarly: string | undefined
  let failure: unknown
  let chaos: ChaosSession | undefined
  let tail: EvidenceTail | undefined
  // Ctrl-C / SIGTERM: faults heal at once, not when the in-flight work has drained.
  const healOnStop = (): void => void chaos?.heal()
  stop.addEventListener('abort', healOnStop, { once: true })
  try {
    // each fault window change is saved (in order), so a crashed run's re-grade still sees the windows
    let saving = Promise.resolve()
    const onChange = (): void => void (saving = saving.then(() => writeContext(ctx)).catch(() => {}))
    chaos = await ChaosSession.open({ faults: config.faults ?? [], seed, stateDir: options.stateDir, injectors: [...(options.injectors ?? []), ...(config.injectors ?? [])], log, onChange })
    const phase = await provisionPhase({ config, seed, adapter: chaos.wrap(options.target), flaws: ctx.target.flaws, dir, log, stop })
    target = phase.target
    ctx.target = { name: target.name, version: target.version, flaws: target.flaws, issuer: target.issuer }
    ctx.population = phase.summary
    ctx.delegationSamples = phase.samples
    // Only this run's records are graded: skip what provisioning wrote, and remember each chain's
    // head so the run's records must link onto it.
    const before = await httpCursorSource(target.evidence.url).readAll()
    ctx.evidenceCursor = before.cursor
    // From the same read as the cursor: a separate heads() call races records landing in between.
    ctx.chainStart = headsOf(before.records)
    await writeContext(ctx)
    const rs = target.resources[0]

    const kit = makeKit({ target, meta: phase.meta, idp: phase.idp, principals: phase.principals, identities: phase.identities, pools, log, initialAccessToken: phase.initialAccessToken })
    await chaos.attach({ target, identities: phase.identities, kit, scenarioFile: options.scenarioFile })
    if (chaos.enabled) ctx.faults = chaos.windows

    if (!stop.aborted) await warmUp({ identities: phase.identities, rs, pools, log })
    const progress = new Progress(options.progressOut)
    progress.activeFaults = () => chaos?.windows.filter((w) => w.start !== null && w.end === null) ?? []
    // The evidence join streams too: records read while measuring go to the store as they come.
    tail = new EvidenceTail({
      source: httpCursorSource(target.evidence.url),
      cursor: ctx.evidenceCursor,
      onRecords: (records, readAt) => {
        attempts.appendEvidence(records)
        progress.observeEvidence(records, readAt)
      },
    })
    if (!stop.aborted) {
      log(`measuring: ${Object.entries(config.scenarios).map(([n, s]) => `${n} ${describeExecutor(s)}`).join('; ')}`)
      progress.start()
      tail.start()
      try {
        ctx.scenarios = await measure({
          config,
          seed,
          identities: phase.identities,
          rs,
          target,
          kit,
          cases,
          pools,
          stop,
          onStart: () => {
            chaos?.start()
            live.start()
          },
          onAttempt: (a) => {
            attempts.append(a)
            progress.observe(a)
            live.observe(a)
          },
        })
        progress.dropped = ctx.scenarios.reduce((n, s: ScenarioStats) => n + s.dropped, 0)
      } finally {
        progress.stop()
        live.stop()
        await chaos.heal()
        ctx.evidenceTailCursor = await tail.stop()
      }
    }
    if (stop.aborted) stoppedEarly = live.stopped ?? 'stopped by the user'
  } catch (e) {
    failure = e
    stoppedEarly = `failed: ${(e as Error).message}`
  }

  try {
    await chaos?.heal()
    if (tail) ctx.evidenceTailCursor = await tail.stop()
    await attempts.close()
    const settleMs = parseDuration(config.evidence?.settle ?? '3s')!
    const outcome = await finalizeRun(ctx, { target, settleMs, stoppedEarly, reporters: options.reporters ?? [], log })
    await writeContext(ctx)
    return { dir, run: outcome, failure }
  } finally {
    stop.removeEventListener('abort', healOnStop)
    await pools.close()
    await target?.stop().catch((e) => log(`warning: stopping the target failed: ${(e as Error).message}`))
    await chaos?.close()
  }
}

async function writeContext(ctx: RunContext): Promise<void> {
  await writeFile(path.join(ctx.dir, RUN_FILES.context), JSON.stringify(ctx, null, 2))
}

export function newInitialAccessToken(): string {
  return randomBytes(32).toString('base64url')
}
