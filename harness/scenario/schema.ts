import { arr, bool, duration, num, obj, oneOfChecks, record, str, tagged, type Check } from './schema-check.ts'

const SCENARIO_NAME = /^[0-9a-zA-Z_-]+$/

const executorBase = {
  startTime: duration(),
  gracefulStop: duration(),
  tags: record(/^[\w.-]+$/, 'tag names of letters, digits, _ . -', str()),
}

const constantArrivalRate = obj({
  executor: { check: str({ oneOf: ['constant-arrival-rate'] }), required: true },
  rate: { check: num({ min: 1, max: 100_000 }), required: true },
  timeUnit: duration(),
  duration: { check: duration(), required: true },
  preAllocatedVUs: { check: num({ min: 1, max: 10_000, int: true }), required: true },
  maxVUs: num({ min: 1, max: 10_000, int: true }),
  ...executorBase,
})

const threshold = oneOfChecks(
  "a k6 threshold string such as 'p(95)<250', or { threshold, abortOnFail }",
  str(),
  obj({ threshold: { check: str(), required: true }, abortOnFail: bool() }),
)

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
    // Only the open-model executor exists so far; naming it keeps the error exact for the others.
    check: record(SCENARIO_NAME, 'names matching ^[0-9a-zA-Z_-]+$', tagged('executor', { 'constant-arrival-rate': constantArrivalRate })),
  },
  attacks: obj({
    share: { check: num({ min: 0, max: 0.5 }), required: true },
    cases: { check: arr(str({ describe: "an attack case id or a 'class.*' pattern (see `gatecrash catalog`)" })), required: true },
  }),
  faults: arr(() => {}, { maxLength: 0, describe: 'an empty list (fault injection is not available yet)' }),
  thresholds: record(/^[a-z_][a-z0-9_]*(\{[^}]*\})?$/, "metric names with an optional {tag:value} filter, e.g. 'gatecrash_warns{case:replay.dpop-jti-reuse}'", arr(threshold)),
  evidence: obj({ settle: duration() }),
})
