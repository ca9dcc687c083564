/**
 * k6's `abortOnFail` while the run goes: the thresholds that set it are evaluated every
 * LIVE_EVAL_INTERVAL_MS over a metric set fed by each attempt as it completes, and the first one that
 * fails stops the run (`signal` aborts, as a first Ctrl-C does). The final gates still decide the
 * verdict, over the whole graded run.
 *
 * Only what needs no evidence can be judged before the evidence is read: the k6 metrics (latency,
 * failures, request counts) and the security measures an attempt's own response decides. The block
 * rate is the status. An accepted attack on a MUST case is a breach whatever the evidence says
 * (grade-attempt.ts: acceptance outranks everything; an issued token wider than its ceiling and a
 * probed side effect are on the attempt too), and a refused legitimate call is a false deny whatever
 * was recorded, so the live verdicts are the attempt graded with no records at all. Records can only
 * add breaches (a transport error the target recorded as an allow), never remove one, so the live
 * count never exceeds the final one. Concurrency cases are the exception: their group judge decides
 * which accepted send was the original, so they stay out of the live breach count.
 *
 * Refused up front (abortThresholds, called when the scenario is validated): everything that depends
 * on records (coverage, attribution, unrecorded, misattributed, warns, errors, legit success),
 * `dropped_iterations` (the executors count it when they finish) and a `fault` tag filter (an
 * attempt's window, with its in-flight lead, is settled only once the window has closed).
 *
 * @example
 * ```ts
 * const live = new LiveGates({ thresholds: config.thresholds, catalog: CATALOG, log })
 * const stop = AbortSignal.any([userStop, live.signal])
 * // measure({ stop, onStart: () => live.start(), onAttempt: (a) => live.observe(a) }); then live.stop()
 * live.stopped   // "aborted by threshold http_req_duration p(95)<1 (abortOnFail): observed 3.42 after 2.0 s"
 * ```
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import { ThresholdInvalid } from '../contracts/errors.ts'
import type { GradedAttempt, Verdict } from '../contracts/verdict.ts'
import { gradeOne } from './grade-attempt.ts'
import { judgeFor } from './group-judges.ts'
import { MetricsBuilder } from './metrics.ts'
import { evaluateThreshold, parseThresholds, type ParsedThreshold, type ThresholdMap } from './thresholds.ts'

/** The metrics abortOnFail works on: those an attempt's response decides without evidence. */
export const LIVE_METRICS: readonly string[] = [
  'http_req_duration',
  'http_req_failed',
  'http_reqs',
  'deny_path_duration',
  'gatecrash_attempts',
  'gatecrash_block_rate',
  'gatecrash_breaches',
  'gatecrash_false_denies',
]

/**
 * k6's cadence (it checks thresholds every 2 s), so a threshold ported from k6 aborts at the same
 * moments. One evaluation merges one histogram per tag set, not per attempt: cheap at any rate.
 */
export const LIVE_EVAL_INTERVAL_MS = 2_000

/** Verdicts an attempt's response alone decides; live, every other verdict reads as a neutral pass. */
const CERTAIN: ReadonlySet<Verdict> = new Set(['breach', 'false-deny', 'not-covered'])

function whyNotLive(t: ParsedThreshold): string | undefined {
  if (t.metric === 'dropped_iterations') return 'dropped_iterations is counted by the executors when they finish'
  if (!LIVE_METRICS.includes(t.metric)) return `${t.metric} needs the target's evidence, which is read and graded after the run`
  if ('fault' in t.filter) return "the fault tag is settled only once a fault window has closed (attempts in flight when it began count as inside it)"
  return undefined
}

/**
 * The abortOnFail thresholds among parsed ones. Throws ThresholdInvalid, naming the key, when one is
 * set on a metric that cannot be judged before the evidence is read. (Default gates never set
 * abortOnFail; a scenario key that overrides one brings its own entries.)
 */
export function abortThresholds(parsed: readonly ParsedThreshold[]): ParsedThreshold[] {
  const live = parsed.filter((t) => t.abortOnFail)
  for (const t of live) {
    const why = whyNotLive(t)
    if (why === undefined) continue
    throw new ThresholdInvalid(`thresholds['${t.key}']: abortOnFail cannot apply to '${t.expression}': ${why}`, {
      hint: `in thresholds['${t.key}']: abortOnFail works on ${LIVE_METRICS.join(', ')} (tag filters allowed, except fault); drop abortOnFail here and the gate is still judged at the end of the run`,
    })
  }
  return live
}

/** An attempt's grade as far as its response decides it: certain verdicts kept, the rest a neutral pass. */
export function liveGrade(a: AttemptRecord, c: AttackCase | undefined): GradedAttempt {
  const g = gradeOne(a, c, [], [])
  // A concurrency group's judge picks one accepted send as the original (group-judges.ts): not known per attempt.
  const certain = CERTAIN.has(g.verdict) && !(g.verdict === 'breach' && c !== undefined && judgeFor(c) !== undefined)
  // matched/faithful feed only evidence metrics, which are never evaluated live (abortThresholds refuses them).
  return { seq: a.seq, verdict: certain ? g.verdict : 'pass', why: '', matched: false, faithful: null }
}

export interface LiveGatesOptions {
  thresholds?: ThresholdMap
  catalog: readonly AttackCase[]
  log: (line: string) => void
  /** the user's stop (first Ctrl-C): once it fired the run is draining, and no threshold takes the blame */
  userStop?: AbortSignal
  intervalMs?: number
  now?: () => number
}

export interface Crossing {
  threshold: ParsedThreshold
  observed: number
  /** ms into the measured phase */
  atMs: number
}

export class LiveGates {
  /** aborts when a threshold crosses; the run combines it with the user's stop */
  readonly signal: AbortSignal
  /** run.json `stopped` once a threshold stopped the run */
  stopped?: string
  readonly thresholds: readonly ParsedThreshold[]
  readonly #controller = new AbortController()
  readonly #metrics: MetricsBuilder | undefined
  readonly #caseById: ReadonlyMap<string, AttackCase>
  readonly #options: LiveGatesOptions
  readonly #now: () => number
  #startedAt: number | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(options: LiveGatesOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    this.signal = this.#controller.signal
    this.thresholds = abortThresholds(parseThresholds(options.thresholds ?? {}))
    this.#caseById = new Map(options.catalog.map((c) => [c.id, c]))
    // Nothing to watch, nothing to feed: a run without abortOnFail pays nothing per attempt.
    this.#metrics = this.thresholds.length > 0 ? new MetricsBuilder(options.catalog) : undefined
  }

  /** The measured phase begins: delays count from here, and evaluation starts. */
  start(): void {
    if (!this.#metrics || this.#startedAt !== undefined) return
    this.#startedAt = this.#now()
    this.#timer = setInterval(() => this.check(), this.#options.intervalMs ?? LIVE_EVAL_INTERVAL_MS)
    this.#timer.unref()
  }

  observe(a: AttemptRecord): void {
    if (!this.#metrics) return
    this.#metrics.add(a, liveGrade(a, a.case === undefined ? undefined : this.#caseById.get(a.case)))
  }

  /** The first due threshold that fails over the attempts seen so far (none before start). */
  evaluate(): Crossing | undefined {
    if (!this.#metrics || this.#startedAt === undefined) return undefined
    const atMs = this.#now() - this.#startedAt
    // A counter's `rate` is per second of the phase so far.
    this.#metrics.set.durationS = atMs / 1000
    for (const t of this.thresholds) {
      if (atMs < t.delayAbortEvalMs) continue
      const { ok, observed } = evaluateThreshold(t, this.#metrics.set)
      if (!ok && observed !== null) return { threshold: t, observed, atMs }
    }
    return undefined
  }

  /** One periodic check: on a crossing, log it, say why in `stopped` and abort `signal`. */
  check(): Crossing | undefined {
    if (this.signal.aborted || this.#options.userStop?.aborted) return undefined
    const crossing = this.evaluate()
    if (!crossing) return undefined
    const { threshold: t, observed, atMs } = crossing
    const what = `${t.key} ${t.expression}`
    const value = Number(observed.toPrecision(4))
    this.#options.log(`threshold ${what} crossed (observed ${value}) and has abortOnFail: stopping the run (no new iterations; in-flight work finishes, then grading)`)
    this.stopped = `aborted by threshold ${what} (abortOnFail): observed ${value} after ${(atMs / 1000).toFixed(1)} s`
    this.stop()
    this.#controller.abort(this.stopped)
    return crossing
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
