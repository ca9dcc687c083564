/** A run.json built through the real oracle pipeline (grade → metrics → gates) from hand-built logs. */
import { RUN_FILES } from '../../../harness/run/run-dir.ts'
import { compareRuns } from '../../../harness/compare/compare-runs.ts'
import { CATALOG, CATALOG_VERSION } from '../../../harness/attacks/catalog.ts'
import { runVerdict } from '../../../harness/oracle/gates.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { summarizeMetrics } from '../../../harness/oracle/metrics.ts'
import { RUN_SCHEMA, type RunJson } from '../../../harness/contracts/run-json.ts'
import { attack, chain, legit, recordFor } from '../oracle/fixtures.ts'
import { coverageOf } from '../../../harness/run/finalize.ts'
import { familiesOf } from '../../../harness/oracle/families.ts'
import { controlsOf } from '../../../harness/oracle/controls.ts'
import { FRAMEWORKS } from '../../../harness/attacks/controls/frameworks.ts'
import { controlEvidence } from '../../../harness/attacks/controls/mapping.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'

/** Token hashes of the fixture's delegation: the principal's assertion → agent_1's token → subagent_1's token. */
export const FIXTURE_TOKENS = { principal: tokenHash('assertion of user_1'), agent: tokenHash('token of agent_1'), sub: tokenHash('token of subagent_1') }

/** The exchanges provisioning recorded before measuring (kept for reconstruction, not graded). */
function provisioning() {
  const exchange = (id: string, clientId: string, actors: string[], token: string, subject: string) => ({
    id, component: 'as', decision: 'allow' as const, reason: 'ok', status: 200, principal: { sub: 'user_1', type: 'user' as const }, client_id: clientId, actors,
    resource: { aud: 'http://127.0.0.1:4000', method: 'POST', path: '/token', tool: 'token.exchange', tenant: 't_1' },
    scope: { required: ['tickets:read'], held: ['tickets:read'] },
    correlation: { token_hash: token, parent_token_hash: subject },
  })
  return chain([
    exchange('ev_as_1', 'agent_1', ['agent_1'], FIXTURE_TOKENS.agent, FIXTURE_TOKENS.principal),
    exchange('ev_as_2', 'subagent_1', ['subagent_1', 'agent_1'], FIXTURE_TOKENS.sub, FIXTURE_TOKENS.agent),
  ])
}

export function failingRun() {
  const token = { token_hash: FIXTURE_TOKENS.sub }
  const attempts = [
    legit(1, token),
    legit(2, token),
    attack(3, 'escalate.tool-scope', token),
    attack(4, 'escalate.tool-scope', token),
    attack(5, 'replay.dpop-jti-reuse', { ...token, status: 200, error_code: null, challenge_scheme: null }),
    attack(6, 'unattributed.no-credential'),
  ]
  // attempt 4 (escalate.tool-scope) is refused but never recorded
  const evidence = chain(attempts.filter((a) => a.seq !== 4).map((a) => recordFor(a)))
  const thresholds = { 'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'], http_req_duration: ['p(95)<250'] }
  const g = gradeRecords({ attempts, evidence, before: provisioning(), catalog: CATALOG, durationS: 10, thresholds, cases: ['escalate.tool-scope', 'replay.dpop-jti-reuse', 'unattributed.no-credential'] })
  const { metrics, gates } = g
  const run: RunJson = {
    schema: RUN_SCHEMA,
    run_id: 'r-20261126-0300-abcd',
    verdict: runVerdict(gates),
    started_at: '2026-11-26T03:00:00.000Z',
    ended_at: '2026-11-26T03:00:10.000Z',
    tool: { name: 'gatecrash', version: '0.1.0', node: 'v24.21.0', catalog: CATALOG_VERSION },
    scenario: { file: 'scenarios/sandbox-validation.ts', name: 'sandbox-validation' },
    seed: 42,
    target: { name: 'reference', version: '0.1.0', flaws: [], issuer: 'http://127.0.0.1:4000' },
    population: { tenants: 2, principals: 4, agents: 3, sub_agents: 6, max_depth: 2 },
    load: {
      scenarios: [{ name: 'workload', executor: 'constant-arrival-rate', target_rate: 1, achieved_rate: 0.6, iterations: 6, dropped_iterations: 0 }],
      attempts: attempts.length,
      legit: 2,
      attacks: 4,
      duration_s: 10,
    },
    metrics: summarizeMetrics(metrics),
    gates,
    cases: g.cases,
    coverage: coverageOf(g.cases, {}),
    families: familiesOf(g.cases, coverageOf(g.cases, {}) ?? [], gates),
    controls: controlsOf(FRAMEWORKS, controlEvidence(), g.cases, gates),
    legit: g.legit,
    evidence: g.evidence,
    reconstruction: g.reconstruction,
    delegation_samples: [{ principal: 'user_1', chain: ['agent_1', 'subagent_1'], scope: 'tickets:read' }],
    files: [RUN_FILES.runJson, RUN_FILES.report],
  }
  return { run, attempts, evidence, graded: g }
}

/** The fixture's failing run against a baseline where replay.dpop-jti-reuse passed and its gate held, with a p95 slower beyond tolerance now. */
export function comparedRun(strict = false): RunJson {
  const baseline = failingRun().run
  baseline.run_id = 'r-baseline'
  baseline.cases = baseline.cases.map((c) => (c.id === 'replay.dpop-jti-reuse' ? { ...c, verdict: 'pass' as const, counts: { pass: c.attempts }, examples: [] } : c))
  baseline.gates = baseline.gates.map((g) => (g.metric === 'gatecrash_warns{case:replay.dpop-jti-reuse}' ? { ...g, ok: true, observed: 0, cases: [] } : g))
  baseline.metrics.http_req_duration = { ...baseline.metrics.http_req_duration, count: 10, p95: 20, p99: 20 }
  const run = failingRun().run
  run.metrics.http_req_duration = { ...run.metrics.http_req_duration, count: 10, p95: 600, p99: 20 }
  run.comparison = compareRuns(baseline, run, { strict })
  return run
}
