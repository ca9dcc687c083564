/**
 * The phases of a run, in order, each a method: create (run directory, run store, context.json),
 * setUp (chaos engine, target, population, evidence source and its start), measure (warm-up, live
 * evidence tail, the scenario's executors under their faults) or drive (the self-test's fixed list
 * of actions instead of executors), finish (settle, final evidence read, grading, gates, reports).
 * `gatecrash run` goes through all of them (run.ts); the self-test's sweep uses the same session
 * with drive() (selftest/sweep.ts), so both grade the same way.
 *
 * Whatever happens midway, finish() still writes and grades what was measured (verdict
 * `incomplete` when the run did not finish).
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { makeKit, type CaseKit } from '../attacks/kit.ts'
import type { ActionEnv } from '../attacks/types.ts'
import { ChaosSession } from '../chaos/chaos-session.ts'
import type { FaultInjector } from '../chaos/injector.ts'
import type { AttemptRecord } from '../contracts/attempt.ts'
import { parseDuration } from '../contracts/duration.ts'
import type { ChainHeads, EvidenceProblems, EvidenceSource } from '../contracts/evidence-source.ts'
import { isExchangeRecord, type EvidenceRecord } from '../contracts/evidence.ts'
import type { RunIdentity } from '../contracts/identity.ts'
import type { StartedTarget, TargetAdapter, TargetConnectionOptions } from '../contracts/target.ts'
import { headsOf } from '../evidence/chain.ts'
import { deprovision } from '../population/provision.ts'
import { openDeclaredEvidence, openEvidenceSource } from '../evidence/open-source.ts'
import { mergeProblems } from '../evidence/problems.ts'
import { epochNow } from '../load/clock.ts'
import { describeExecutor, executorMaxVUs } from '../load/executors/index.ts'
import { HttpPools } from '../load/http-pool.ts'
import type { HostPolicy } from '../protocol/host-policy.ts'
import { HttpClient } from '../protocol/http.ts'
import { judgeConnection } from './connection.ts'
import { GRADER_VERSION } from '../oracle/grader-version.ts'
import { LiveGates } from '../oracle/live-gates.ts'
import { CATALOG, selectCases } from '../attacks/catalog.ts'
import type { IssuedTokenObserver } from '../contracts/issued-token.ts'
import type { IssuedTokenLedger } from '../oracle/issued-ledger.ts'
import { checkJwks, issuedTokenLedger } from './issued-checks.ts'
import type { LoadedScenario } from '../scenario/load.ts'
import { AttemptLog } from './attempt-log.ts'
import { EvidenceTail } from './evidence-tail.ts'
import { EvidenceReach, reachFailure } from './evidence-reach.ts'
import { finalizeRun, type RunContext } from './finalize.ts'
import { makeActionEnv } from './measure/action-env.ts'
import { measure, type ScenarioStats } from './measure/measure.ts'
import { warmUp } from './measure/warm-up.ts'
import { Progress } from './progress.ts'
import { provisionPhase, type ProvisionPhaseResult } from './provision-phase.ts'
import type { Reporter } from './reporter.ts'
import { makeRunDir, newRunId, RUN_FILES } from './run-dir.ts'
import type { RunJson } from '../contracts/run-json.ts'

/** head samples while drive() runs (the tail samples after each of its 1 s polls in measure()) */
const DRIVE_HEAD_SAMPLE_MS = 500

export interface SessionOptions {
  scenario: LoadedScenario
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
  /**
   * A target profile's connection options: hosts beyond loopback (each with its acknowledgement)
   * and TLS (`{ ca: '<path>' }`). Every connection of the run goes through them: the load pools,
   * the OAuth client, the evidence source, the adapter's own (TargetStartOptions.connection).
   * Absent: loopback only, system roots.
   */
  connection?: TargetConnectionOptions
  /** compare the run with this finished run when it ends (run.json `comparison`); read and checked by run.ts first */
  baseline?: RunContext['baseline']
}

export interface RunOutcome {
  dir: string
  run: RunJson
  /** the error that cut the run short; the run directory is written all the same */
  failure?: unknown
}

/** What set-up made, for the measured phase (or the sweep) to act with. */
export interface SetUpRun {
  target: StartedTarget
  identities: RunIdentity[]
  kit: CaseKit
  phase: ProvisionPhaseResult
  pools: HttpPools
}

export class RunSession {
  readonly ctx: RunContext
  readonly dir: string
  readonly #options: SessionOptions
  readonly #log: (line: string) => void
  /** the user's stop (Ctrl-C) or a live gate's (k6's abortOnFail), whichever comes first */
  readonly #stop: AbortSignal
  readonly #live: LiveGates
  readonly #attempts: AttemptLog
  readonly #pools: HttpPools
  /** the off-hot-path helper with the run's connection options (OAuth, evidence) */
  readonly #http: HttpClient
  #chaos: ChaosSession | undefined
  #target: StartedTarget | undefined
  #evidence: EvidenceSource | undefined
  #declaredEvidence: EvidenceSource | undefined
  #tail: EvidenceTail | undefined
  #setUp: SetUpRun | undefined
  #stoppedEarly: string | undefined
  /** the issued-token checks: every token the run receives, judged as it arrives */
  #issued: IssuedTokenLedger | undefined
  /** each context change is saved in order, so a crashed run's re-grade sees the latest */
  #saving = Promise.resolve()
  readonly #healOnStop = (): void => void this.#chaos?.heal()

  private constructor(options: SessionOptions, ctx: RunContext, attempts: AttemptLog, hosts: HostPolicy) {
    this.#options = options
    this.ctx = ctx
    this.dir = ctx.dir
    this.#log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`))
    // k6's abortOnFail: a threshold crossing while measuring stops the run as a first Ctrl-C does.
    this.#live = new LiveGates({ thresholds: options.scenario.config.thresholds, catalog: CATALOG, log: this.#log, userStop: options.stop })
    this.#stop = AbortSignal.any([options.stop ?? new AbortController().signal, this.#live.signal])
    this.#attempts = attempts
    const scenarios = Object.values(options.scenario.config.scenarios)
    const tls = options.connection?.tls
    this.#http = new HttpClient({ hosts, tls })
    this.#pools = new HttpPools(scenarios.length > 0 ? Math.max(...scenarios.map(executorMaxVUs)) : 16, { hosts, tls })
    // Ctrl-C / SIGTERM: faults heal at once, not when the in-flight work has drained.
    this.#stop.addEventListener('abort', this.#healOnStop, { once: true })
  }

  /** The run directory, its store and context.json: from here on, a run leaves what it measured. */
  static async create(given: SessionOptions): Promise<RunSession> {
    // a target profile states its hosts and TLS once (TargetAdapter.connection); a caller's own win
    const options: SessionOptions = { ...given, connection: given.connection ?? given.target.connection }
    const { scenario } = options
    // judged before the run directory is made
    const { hosts } = judgeConnection(options.connection)
    const runId = newRunId(scenario.name)
    const dir = await makeRunDir(options.outRoot ?? 'runs', runId)
    const attempts = await AttemptLog.open(path.join(dir, RUN_FILES.db))
    const ctx: RunContext = {
      runId,
      dir,
      scenarioFile: scenario.file,
      scenarioName: scenario.name,
      config: scenario.config,
      seed: scenario.config.seed ?? 1,
      startedAt: new Date().toISOString(),
      target: { name: options.target.name, version: '', flaws: options.flaws ?? [], issuer: '' },
      population: { tenants: 0, principals: 0, agents: 0, sub_agents: 0, max_depth: 0 },
      scenarios: [],
      delegationSamples: [],
      chainStart: {},
      evidenceCursor: null,
      grader: GRADER_VERSION,
      ...(options.baseline ? { baseline: options.baseline } : {}),
    }
    const session = new RunSession(options, ctx, attempts, hosts)
    await session.#save()
    const flaws = ctx.target.flaws
    session.#log(`gatecrash run ${runId}: scenario ${scenario.name}, seed ${ctx.seed}, target ${options.target.name}${flaws.length ? ` (flaws: ${flaws.join(', ')})` : ''}`)
    return session
  }

  get log(): (line: string) => void {
    return this.#log
  }

  /**
   * The chaos engine (it may put its fault proxy into the target's links), the target, the
   * population, the evidence source with the run's start (cursor, chain heads), the attack kit and
   * the fault schedule.
   */
  async setUp(): Promise<SetUpRun> {
    const { config } = this.ctx
    this.#chaos = await ChaosSession.open({
      faults: config.faults ?? [],
      seed: this.ctx.seed,
      stateDir: this.#options.stateDir,
      injectors: [...(this.#options.injectors ?? []), ...(config.injectors ?? [])],
      log: this.#log,
      onChange: () => void this.#save(),
    })
    const issued = (target: StartedTarget): IssuedTokenObserver => (this.#issued = issuedTokenLedger(config, target)).observe
    // A source the deployment sends to (an OTLP receiver) listens before the deployment starts.
    const declared = await openDeclaredEvidence(this.#options.target, this.#http)
    // graded from only once the target started (finish() closes it either way)
    this.#declaredEvidence = declared?.source
    const phase = await provisionPhase({ config, seed: this.ctx.seed, adapter: this.#chaos.wrap(this.#options.target), flaws: this.ctx.target.flaws, dir: this.dir, log: this.#log, stop: this.#stop, http: this.#options.connection ? this.#http : undefined, issued, evidenceEnv: declared?.env })
    const target = (this.#target = phase.target)
    this.ctx.target = { name: target.name, version: target.version, flaws: target.flaws, issuer: target.issuer }
    this.ctx.population = phase.summary
    this.ctx.delegationSamples = phase.samples
    if (this.#issued) await checkJwks(this.#issued, phase.meta.jwks_uri, this.#http)
    await this.#startEvidence(declared?.source ?? openEvidenceSource(target.evidence, { http: this.#http }))
    const kit = makeKit({ target, meta: phase.meta, idp: phase.idp, subjects: phase.subjects, principals: phase.principals, identities: phase.identities, pools: this.#pools, log: this.#log, registration: phase.registration, observe: this.#issued?.observe })
    await this.#chaos.attach({ target, identities: phase.identities, kit, scenarioFile: this.ctx.scenarioFile })
    if (this.#chaos.enabled) this.ctx.faults = this.#chaos.windows
    await this.#save()
    return (this.#setUp = { target, identities: phase.identities, kit, phase, pools: this.#pools })
  }

  /**
   * Only this run's records are graded: skip what provisioning wrote, and remember each chain's
   * head so the run's records must link onto it. The heads come from the same read as the cursor
   * (a separate heads() call races records landing in between); the source's own heads are then
   * sampled too, the first of the samples every later chain must extend.
   */
  async #startEvidence(source: EvidenceSource): Promise<void> {
    this.#evidence = source
    this.ctx.evidenceSource = source.kind
    this.ctx.evidenceIntegrity = source.integrity
    // Page by page: a deployment's own audit log may hold far more history than fits in memory.
    const heads: ChainHeads = {}
    let problems: EvidenceProblems | undefined
    for await (const page of source.pages(null)) {
      if (source.integrity === 'chained') Object.assign(heads, headsOf(page.records))
      if (page.problems) problems = mergeProblems(problems, page.problems)
      this.ctx.evidenceCursor = page.cursor ?? this.ctx.evidenceCursor
      // provisioning's exchanges are every identity's delegation: reconstruction follows them
      const exchanges = page.records.filter((r) => isExchangeRecord(r) && !before(r, this.ctx.startedAt))
      if (exchanges.length > 0) this.#attempts.keepExchanges(exchanges)
    }
    this.#attempts.keepExchanges([])
    this.ctx.chainStart = source.integrity === 'chained' ? heads : {}
    // Not the run's lines, but a mapping that fails on them will fail on the run's too: say so now.
    if (problems) {
      const examples = problems.examples.slice(0, 3).join('; ')
      const said = [...(problems.unmapped > 0 ? [`${problems.unmapped} lines could not be mapped (${examples})`] : []), ...problems.warnings]
      if (said.length > 0) this.#log(`evidence before the run: ${said.join('; ')}`)
    }
    await this.#sampleHeads()
  }

  /** One sample of the source's heads into the store, after the records handed to it so far. */
  async #sampleHeads(): Promise<void> {
    if (!this.#evidence?.heads) return
    try {
      this.#attempts.appendHeads(await this.#evidence.heads(), Date.now())
    } catch (e) {
      // A source that is down (a chaos window may do exactly that) is sampled again later.
      this.#log(`evidence heads unavailable: ${(e as Error).message}`)
    }
  }

  /** The measured phase: warm-up, the live evidence tail, the scenario's executors under their faults. */
  async measure(): Promise<void> {
    const s = this.#needSetUp()
    const { config } = this.ctx
    const rs = s.target.resources[0]
    const progress = new Progress(this.#options.progressOut)
    progress.activeFaults = () => this.#chaos?.windows.filter((w) => w.start !== null && w.end === null) ?? []
    // The evidence join streams too: records read while measuring go to the store as they come,
    // each poll followed by a sample of the source's heads. It starts before the warm-up, whose
    // records show that the source reaches the deployment's decisions before anything is measured.
    let reach: EvidenceReach | undefined
    this.#tail = new EvidenceTail({
      source: this.#evidence!,
      cursor: this.ctx.evidenceCursor,
      onRecords: (records, readAt) => {
        this.#attempts.appendEvidence(records)
        progress.observeEvidence(records, readAt)
        reach?.observe(records)
      },
      onHeads: (heads, at) => this.#attempts.appendHeads(heads, at),
      onProblems: (p) => (this.ctx.evidenceProblems = mergeProblems(this.ctx.evidenceProblems, p)),
    })
    this.#tail.start()
    if (!this.#stop.aborted) {
      reach = new EvidenceReach(await warmUp({ identities: s.identities, rs, pools: this.#pools, log: this.#log }))
      await this.#awaitReach(reach)
      // judged: the measured phase's records go to the store only
      reach = undefined
    }
    if (this.#stop.aborted) return
    this.#log(`measuring: ${Object.entries(config.scenarios).map(([n, e]) => `${n} ${describeExecutor(e)}`).join('; ')}`)
    progress.start()
    try {
      this.ctx.scenarios = await measure({
        config,
        seed: this.ctx.seed,
        identities: s.identities,
        rs,
        target: s.target,
        kit: s.kit,
        cases: selectCases(config.attacks?.cases ?? []).cases,
        pools: this.#pools,
        stop: this.#stop,
        onStart: () => {
          this.#chaos?.start()
          this.#live.start()
        },
        onNotCovered: (cases) => void (this.ctx.notCovered = Object.fromEntries(cases)),
        onAttempt: (a) => {
          this.#attempts.append(a)
          progress.observe(a)
          this.#live.observe(a)
        },
      })
      progress.dropped = this.ctx.scenarios.reduce((n, x: ScenarioStats) => n + x.dropped, 0)
    } finally {
      progress.stop()
      this.#live.stop()
      await this.#chaos?.heal()
      this.ctx.evidenceTailCursor = await this.#tail.stop()
      if (this.#tail.outages.length > 0) this.ctx.evidenceOutages = this.#tail.outages
      // after the tail's last poll, whose records the progress line joined too
      this.ctx.evidenceLag = progress.evidenceLagSummary() ?? undefined
    }
  }

  /**
   * Waits, at most the settle window, for the warm-up's records; none of them joined stops the run
   * before the measured phase with ERR_EVIDENCE_UNAVAILABLE or ERR_EVIDENCE_MAPPING (evidence-reach.ts).
   */
  async #awaitReach(reach: EvidenceReach): Promise<void> {
    const waitMs = parseDuration(this.ctx.config.evidence?.settle ?? '3s')!
    const t0 = Date.now()
    // one more of the tail's polls after the window, so a record written at its end is read
    const until = t0 + waitMs + 1_100
    while (reach.found === 0 && Date.now() < until && !this.#stop.aborted) await new Promise((r) => setTimeout(r, 100))
    const failure = reachFailure(reach, { kind: this.#evidence!.kind, waitedMs: Date.now() - t0, lastError: this.#tail!.lastError, problems: this.ctx.evidenceProblems, phase: 'warm-up' })
    if (failure && !this.#stop.aborted) throw failure
    if (reach.calls > 0) this.#log(`evidence: the warm-up's records reach the ${this.#evidence!.kind} source (${reach.found} of ${reach.calls} calls found after ${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  }

  /**
   * Instead of measure(): the caller's own actions (the self-test fires each case a few times).
   * `actionEnv` gives each action an environment whose every request is recorded as an attempt.
   */
  async drive(fn: (run: SetUpRun & { actionEnv(identity: RunIdentity, salt: number, prepared?: unknown): ActionEnv; notCovered(cases: ReadonlyMap<string, string>): void }) => Promise<void>): Promise<void> {
    const s = this.#needSetUp()
    const rs = s.target.resources[0]
    const actionEnv = (identity: RunIdentity, salt: number, prepared?: unknown): ActionEnv =>
      makeActionEnv({ identity, rs, target: s.target, kit: s.kit, pools: this.#pools, scenario: 'sweep', scheduledAt: epochNow(), salt, signal: this.#stop, prepared, onAttempt: (a: AttemptRecord) => this.#attempts.append(a) })
    // No live tail here: the source's heads are sampled while the actions run and right after, so a
    // record rewritten or cut once it was a head shows against the samples.
    const sampler = setInterval(() => void this.#sampleHeads(), DRIVE_HEAD_SAMPLE_MS)
    try {
      await fn({ ...s, actionEnv, notCovered: (cases) => void (this.ctx.notCovered = Object.fromEntries(cases)) })
    } finally {
      clearInterval(sampler)
    }
    await this.#sampleHeads()
  }

  /**
   * Settles, reads the rest of the evidence, grades, writes run.json and the reports, stops the
   * target. `failure`: what cut the run short, if anything (the run is then `incomplete`).
   */
  async finish(failure?: unknown): Promise<RunOutcome> {
    if (failure !== undefined) this.#stoppedEarly = `failed: ${(failure as Error)?.message ?? String(failure)}`
    else if (this.#stop.aborted) this.#stoppedEarly = this.#live.stopped ?? 'stopped by the user'
    try {
      await this.#chaos?.heal()
      await this.#cleanUp()
      if (this.#tail) {
        this.ctx.evidenceTailCursor = await this.#tail.stop()
        if (this.#tail.outages.length > 0) this.ctx.evidenceOutages = this.#tail.outages
      }
      await this.#attempts.close()
      if (this.#issued) this.ctx.issuedTokens = this.#issued.summary()
      const settleMs = parseDuration(this.ctx.config.evidence?.settle ?? '3s')!
      const run = await finalizeRun(this.ctx, { evidence: this.#evidence, settleMs, stoppedEarly: this.#stoppedEarly, reporters: this.#options.reporters ?? [], log: this.#log })
      await this.#save()
      return { dir: this.dir, run, ...(failure === undefined ? {} : { failure }) }
    } finally {
      this.#stop.removeEventListener('abort', this.#healOnStop)
      await this.#pools.close()
      await this.#http.close()
      await this.#target?.stop().catch((e) => this.#log(`warning: stopping the target failed: ${(e as Error).message}`))
      await this.#setUp?.phase.close()
      await this.#evidence?.close().catch(() => {})
      await this.#declaredEvidence?.close().catch(() => {})
      await this.#chaos?.close()
    }
  }

  /**
   * RFC 7592: deletes every client the run registered (the population, then what attack set-up
   * enrolled), children first, when the target asks for it (RegistrationPolicy.cleanup). Best
   * effort: what could not be deleted is logged by count, never fails the run. Before the final
   * evidence read, so the deletions' records are read with the rest.
   */
  async #cleanUp(): Promise<void> {
    const s = this.#setUp
    if (!s || s.phase.registration.cleanup !== 'delete') return
    const all = [...s.phase.enrolled, ...s.kit.enrolled]
    const { deleted, failed } = await deprovision(all, s.phase.meta)
    this.#log(`cleanup: deleted ${deleted} of ${all.length} clients the run registered (RFC 7592)${failed.length ? `; ${failed.length} could not be deleted` : ''}`)
  }

  #needSetUp(): SetUpRun {
    if (!this.#setUp) throw new TypeError('RunSession.setUp() must come first')
    return this.#setUp
  }

  #save(): Promise<void> {
    this.#saving = this.#saving.then(() => writeFile(path.join(this.dir, RUN_FILES.context), JSON.stringify(this.ctx, null, 2))).catch(() => {})
    return this.#saving
  }
}

/**
 * Slack for a target clock behind the harness's. A deployment's audit log may hold years of
 * history; only exchanges from about this run's start on can have delegated its identities.
 */
const EXCHANGE_CLOCK_SLACK_MS = 10 * 60_000

function before(r: EvidenceRecord, startedAt: string): boolean {
  const t = Date.parse(r.ts)
  return Number.isFinite(t) && t < Date.parse(startedAt) - EXCHANGE_CLOCK_SLACK_MS
}
