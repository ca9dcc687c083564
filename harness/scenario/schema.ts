import { ScenarioInvalid } from '../contracts/errors.ts'
import { parseDuration } from '../contracts/duration.ts'
import { faultsSchema, injectorsSchema } from './fault-schema.ts'
import { arr, bool, duration, num, obj, oneOfChecks, record, str, tagged, type Check } from '../config/schema-check.ts'

const SCENARIO_NAME = /^[0-9a-zA-Z_-]+$/

const executorBase = {
  startTime: duration(),
  gracefulStop: duration(),
  tags: record(/^[\w.-]+$/, 'tag names of letters, digits, _ . -', str()),
}

const VUS = num({ min: 1, max: 10_000, int: true })
/** Iteration numbers feed a 32-bit hash (load/seeded.ts); this keeps a scenario's numbers well inside it. */
const MAX_ITERATIONS = 100_000_000

/** A cross-field rule k6 also enforces, reported like every other schema error. */
function rule(check: Check, test: (v: Record<string, unknown>) => { key: string; problem: string; allowed: string } | undefined): Check {
  return (v, at) => {
    check(v, at)
    const broken = test(v as Record<string, unknown>)
    if (!broken) return
    const key = `${at.key}.${broken.key}`
    throw new ScenarioInvalid(`${at.file}: \`${key}\` ${broken.problem}`, { file: at.file, key, hint: `allowed: ${broken.allowed}` })
  }
}

/** timeUnit divides the rate: a zero unit is refused. */
function positiveDuration(): Check {
  const base = duration()
  return (v, at) => {
    base(v, at)
    if (parseDuration(v as string | number) === 0) {
      throw new ScenarioInvalid(`${at.file}: \`${at.key}\` is ${JSON.stringify(v)}, not longer than zero`, { file: at.file, key: at.key, hint: "allowed: a k6 duration longer than zero, such as '1s' or '1m'" })
    }
  }
}

function stages(targetMax: number, targetIs: string): Check {
  const list = arr(obj({ duration: { check: duration(), required: true }, target: { check: num({ min: 0, max: targetMax, int: true }), required: true } }), {
    describe: `a list of { duration, target } stages, target being ${targetIs}`,
  })
  return (v, at) => {
    list(v, at)
    if ((v as unknown[]).length === 0) {
      throw new ScenarioInvalid(`${at.file}: \`${at.key}\` is empty`, { file: at.file, key: at.key, hint: `allowed: at least one { duration, target } stage, target being ${targetIs}` })
    }
  }
}

const maxVUsNotBelowPreAllocated = (v: Record<string, unknown>) =>
  v.maxVUs !== undefined && (v.maxVUs as number) < (v.preAllocatedVUs as number)
    ? { key: 'maxVUs', problem: `is ${v.maxVUs}, below preAllocatedVUs (${v.preAllocatedVUs})`, allowed: 'an integer ≥ preAllocatedVUs (or leave it out: it defaults to preAllocatedVUs)' }
    : undefined

// Field order is the order the `allowed:` hint lists them in.
const constantArrivalRate = rule(
  obj({
    executor: { check: str({ oneOf: ['constant-arrival-rate'] }), required: true },
    rate: { check: num({ min: 1, max: 100_000 }), required: true },
    timeUnit: positiveDuration(),
    duration: { check: duration(), required: true },
    preAllocatedVUs: { check: VUS, required: true },
    maxVUs: VUS,
    ...executorBase,
  }),
  maxVUsNotBelowPreAllocated,
)

const rampingArrivalRate = rule(
  obj({
    executor: { check: str({ oneOf: ['ramping-arrival-rate'] }), required: true },
    startRate: num({ min: 0, max: 100_000, int: true }),
    timeUnit: positiveDuration(),
    stages: { check: stages(100_000, 'iterations per timeUnit (an integer ≥ 0 ≤ 100000)'), required: true },
    preAllocatedVUs: { check: VUS, required: true },
    maxVUs: VUS,
    ...executorBase,
  }),
  maxVUsNotBelowPreAllocated,
)

const constantVUs = obj({
  executor: { check: str({ oneOf: ['constant-vus'] }), required: true },
  vus: VUS,
  duration: { check: duration(), required: true },
  ...executorBase,
})

const rampingVUs = rule(
  obj({
    executor: { check: str({ oneOf: ['ramping-vus'] }), required: true },
    startVUs: num({ min: 0, max: 10_000, int: true }),
    stages: { check: stages(10_000, 'a number of VUs (an integer ≥ 0 ≤ 10000)'), required: true },
    gracefulRampDown: duration(),
    ...executorBase,
  }),
  (v) =>
    Math.max((v.startVUs as number | undefined) ?? 1, ...(v.stages as { target: number }[]).map((s) => s.target)) === 0
      ? { key: 'stages', problem: 'never has a VU (startVUs and every target are 0)', allowed: 'startVUs or at least one stage target above 0' }
      : undefined,
)

const perVUIterations = rule(
  obj({
    executor: { check: str({ oneOf: ['per-vu-iterations'] }), required: true },
    vus: VUS,
    iterations: num({ min: 1, max: MAX_ITERATIONS, int: true }),
    maxDuration: duration(),
    ...executorBase,
  }),
  (v) =>
    ((v.vus as number | undefined) ?? 1) * ((v.iterations as number | undefined) ?? 1) > MAX_ITERATIONS
      ? { key: 'iterations', problem: `is ${v.iterations} per VU, ${(v.vus as number) * (v.iterations as number)} in all`, allowed: `vus × iterations ≤ ${MAX_ITERATIONS}` }
      : undefined,
)

const sharedIterations = rule(
  obj({
    executor: { check: str({ oneOf: ['shared-iterations'] }), required: true },
    vus: VUS,
    iterations: num({ min: 1, max: MAX_ITERATIONS, int: true }),
    maxDuration: duration(),
    ...executorBase,
  }),
  // k6: "the number of iterations can't be less than the number of VUs"
  (v) =>
    ((v.iterations as number | undefined) ?? 1) < ((v.vus as number | undefined) ?? 1)
      ? { key: 'iterations', problem: `is ${(v.iterations as number | undefined) ?? 1}, fewer than vus (${v.vus})`, allowed: 'an integer ≥ vus (the iterations are shared among the VUs)' }
      : undefined,
)

/** k6's executors by name (k6 `lib/executor/`). */
export const EXECUTOR_SCHEMAS: Record<string, Check> = {
  'constant-arrival-rate': constantArrivalRate,
  'ramping-arrival-rate': rampingArrivalRate,
  'constant-vus': constantVUs,
  'ramping-vus': rampingVUs,
  'per-vu-iterations': perVUIterations,
  'shared-iterations': sharedIterations,
}

// k6's threshold object. A delay on a threshold that never aborts would do nothing: refused, not ignored.
const thresholdObject = rule(
  obj({ threshold: { check: str(), required: true }, abortOnFail: bool(), delayAbortEval: duration() }),
  (v) =>
    v.delayAbortEval !== undefined && v.abortOnFail !== true
      ? { key: 'delayAbortEval', problem: 'is set but abortOnFail is not true, so it would delay nothing', allowed: 'abortOnFail: true beside it, or no delayAbortEval' }
      : undefined,
)

/** A string, or an object checked key by key, so a bad `delayAbortEval` is named rather than the whole entry. */
const threshold: Check = (v, at) =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
    ? thresholdObject(v, at)
    : str({ describe: "a k6 threshold string such as 'p(95)<250', or { threshold, abortOnFail, delayAbortEval }" })(v, at)

export const scenarioSchema: Check = obj({
  name: str(),
  description: str(),
  seed: num({ min: 0, max: 2 ** 32 - 1, int: true }),
  population: {
    required: true,
    check: obj({
      tenants: { check: num({ min: 1, max: 10_000, int: true }), required: true },
      agents: { check: num({ min: 1, max: 1_000_000, int: true }), required: true },
      subAgentsPerAgent: num({ min: 0, max: 16, int: true }),
      depth: num({ min: 1, max: 3, int: true }),
      principalsPerTenant: num({ min: 1, max: 100_000, int: true }),
    }),
  },
  scenarios: {
    required: true,
    check: record(SCENARIO_NAME, 'names matching ^[0-9a-zA-Z_-]+$', tagged('executor', EXECUTOR_SCHEMAS)),
  },
  attacks: obj({
    share: { check: num({ min: 0, max: 0.5 }), required: true },
    cases: {
      check: oneOfChecks("'all', or a list of case ids and family patterns such as 'replay.*' (see `gatecrash catalog`)", str({ oneOf: ['all'] }), arr(str({ describe: "an attack case id or a family pattern such as 'replay.*' (see `gatecrash catalog`)" }))),
      required: true,
    },
  }),
  faults: faultsSchema,
  injectors: injectorsSchema,
  thresholds: record(/^[a-z_][a-z0-9_]*(\{[^}]*\})?$/, "metric names with an optional {tag:value} filter, e.g. 'gatecrash_warns{case:replay.dpop-jti-reuse}'", arr(threshold)),
  evidence: obj({ settle: duration() }),
  policy: obj({ maxTokenLifetime: duration({ maxMs: 30 * 86_400_000, allowed: "a k6 duration up to 30 days, e.g. '1h', '15m'" }) }),
  workers: num({ min: 1, max: 64, int: true }),
})
