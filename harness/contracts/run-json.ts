/**
 * run.json, schema version 1: everything a reporter or a board needs about one run. Reporters read
 * only this (plus the attempt and evidence logs for CSV), so `gatecrash report <run-dir>` can
 * re-render any run.
 */
import type { EvidenceIntegrity } from './evidence-source.ts'
import type { Verdict } from './verdict.ts'

export const RUN_SCHEMA = 'gatecrash.run/1'

export type RunVerdict = 'ready' | 'not-ready' | 'incomplete'

export interface GateResult {
  /** metric with optional tag filter, e.g. `gatecrash_warns{case:replay.dpop-jti-reuse}` */
  metric: string
  /** k6-grammar expression, e.g. `count==0` */
  expression: string
  ok: boolean
  /** the value the expression was evaluated on (null when the metric had no samples) */
  observed: number | null
  /** where the gate came from */
  source: 'default' | 'scenario'
  /** attack cases whose attempts made this gate fail (empty when ok) */
  cases: string[]
  /** chaos gates: the fault window the gate judges, e.g. `pause replay-store 10s–20s` */
  window?: string
  /** chaos gates: what failed, e.g. `2 attacks accepted: trace 4bf9… (replay.dpop-jti-reuse)` */
  detail?: string
}

/** One fault of the run (harness/chaos): when it was in effect and how the target behaved meanwhile. */
export interface FaultResult {
  id: string
  kind: string
  component: string
  /** `pause replay-store 10s–20s`: kind, component and the planned window from the start of the load */
  label: string
  /** what was done, e.g. `latency 800±100 ms on jwks` */
  detail: string
  at_s: number
  for_s: number
  /** ISO times the fault was injected and healed; null when it never was */
  start: string | null
  end: string | null
  healed: boolean
  error: string | null
  /** never applied: the target offers no way to (lost coverage, not a pass) */
  skipped?: string
  /** seconds after healing until legitimate success was back above its threshold (1 s buckets); null: not measurable */
  ttr_s: number | null
  /** false: legitimate success never came back above its threshold before the run ended; null: no traffic to tell */
  recovered: boolean | null
  /** the allowance the scenario set (`recoverWithin`), seconds; null when time to recover is only reported */
  recover_within_s: number | null
  /** attempts in flight while the fault was in effect */
  during: {
    attempts: number
    /** attempts per second over the window */
    rate: number
    p95_ms: number | null
    /** attacks refused / attacks answered */
    block_rate: number | null
    legit_success: number | null
    /** attacks accepted that fail a gate (MUST cases, or SHOULD cases the scenario raised to a gate) */
    breaches: number
    /** attempts with neither a record nor a recorded evidence gap */
    unrecorded: number
    /** attempts without a record of their own, covered by the target's `system.evidence_gap` record */
    gap_covered: number
  }
}

/** One second of the measured phase, for the report's timeline. */
export interface TimelineBucket {
  /** seconds from the start of the measured phase */
  t_s: number
  attempts: number
  legit: number
  attacks: number
  p95_ms: number | null
  block_rate: number | null
  legit_success: number | null
  breaches: number
  errors: number
  /** ids of the faults in effect during this second */
  faults: string[]
}

export interface CaseRow {
  id: string
  class: string
  grading: string
  refs: string[]
  attempts: number
  counts: Partial<Record<Verdict, number>>
  /** worst verdict seen for this case */
  verdict: Verdict
  /** a few examples of failing attempts: trace id and why (an issued-token check: no trace id, the token by hash) */
  examples: { trace_id: string; token_hash?: string; verdict: Verdict; why: string }[]
}

/** The cases of one family (a case id's first two segments) and how the family fared (oracle/families.ts). */
export interface FamilyRow {
  family: string
  class: string
  cases: string[]
  attempts: number
  /** its cases behind a failed gate */
  failed: string[]
  not_covered: string[]
  result: 'held' | 'failed' | 'partial' | 'not-covered'
}

/** What one case, check or gate says about a control in this run (oracle/controls.ts). */
export type ControlEvidenceResult = 'held' | 'failed' | 'warn' | 'not-covered'

/** One control of a framework and how this run's evidence for it came out. */
export interface ControlRow {
  id: string
  title: string
  /**
   * `failed`: a case, check or gate behind it failed a gate; `held`: exercised and none failed (a warn
   * holds, and its entry says warn); `not-exercised`: nothing behind it ran or proved anything
   */
  status: 'held' | 'failed' | 'not-exercised'
  /** the cases and checks (`case`) and run-wide gates (`gate`) of this run that evidence it, each with its result */
  evidence: { kind: 'case' | 'gate'; id: string; result: ControlEvidenceResult }[]
}

/** One framework's controls as this run evidenced them (docs/controls.md). */
export interface FrameworkControls {
  framework: string
  name: string
  version: string
  url: string
  /** every control the catalog maps a case, check or gate to, in the framework's order */
  controls: ControlRow[]
  /**
   * every control of the framework this run did not exercise: `not-in-catalog` (no case, check or
   * gate of gatecrash speaks to it) or `not-run` (its cases were not selected, not covered or not run)
   */
  not_exercised: { id: string; title: string; why: 'not-in-catalog' | 'not-run' }[]
}

export interface TrendSummary {
  count: number
  min: number
  max: number
  avg: number
  med: number
  p90: number
  p95: number
  p99: number
}

/** One exchange record on a rebuilt chain (oracle/reconstruct.ts): ids and token hashes only. */
export interface ReconstructedHop {
  record_id: string
  /** the client that made the exchange: the actor this hop adds */
  client_id: string | null
  principal: string | null
  /** the record's act chain, current actor first */
  actors: string[]
  /** the issued token's hash (correlation.token_hash) */
  token_hash: string | null
  /** the subject token's hash (correlation.parent_token_hash) */
  parent_token_hash: string | null
  decision: 'allow' | 'deny'
  /** the record's scope.required and scope.held, as recorded (what `held` means at an AS varies: the subject's, or what was granted) */
  scope_required?: string[]
  scope_held?: string[]
}

/** One transaction rebuilt from the target's records alone, beside what the harness sent. */
export interface ReconstructedTransaction {
  trace_id: string
  seq: number
  kind: 'legit' | 'attack'
  case?: string
  /** what the harness knows happened: the identity that sent it, its principal and actor chain (current actor first), the token it presented */
  harness: { identity: string | null; principal: string | null; actors: string[]; token_hash: string | null }
  /** the record of the call itself (a tool call, or the token request of an exchange case); null when none joined the attempt */
  call: { record_id: string; component: string; tool: string | null; decision: 'allow' | 'deny'; reason: string; status: number; token_hash: string | null } | null
  /** the exchanges that led to the call's token, the principal's first; the last is the token presented (or the exchange asked for) */
  hops: ReconstructedHop[]
  /** the first hop's subject token: the principal's own (an IdP assertion no exchange issued) */
  root_token_hash: string | null
  /** who acted for whom as the records alone tell it; null when a link is missing */
  rebuilt: { principal: string | null; actors: string[] } | null
  matched: boolean
  /** why it does not match: the missing link or the differing party */
  mismatch?: string
}

export interface RunJson {
  schema: typeof RUN_SCHEMA
  run_id: string
  verdict: RunVerdict
  /** why the run stopped early, if it did */
  stopped?: string
  started_at: string
  ended_at: string
  /** `grader`: the grader's version (run/grader-version.ts): which default gates existed (absent before version 2) */
  tool: { name: 'gatecrash'; version: string; node: string; catalog: string; grader?: number }
  /**
   * set by `gatecrash report`: the run was graded again later, by this grader, against the gates of
   * today; `new_gates` are default gates that did not exist when the run was made
   */
  regraded?: { at: string; from_grader: number; grader: number; new_gates: string[] }
  scenario: { file: string; name: string }
  seed: number
  target: { name: string; version: string; flaws: string[]; issuer: string }
  population: { tenants: number; principals: number; agents: number; sub_agents: number; max_depth: number }
  load: {
    scenarios: {
      name: string
      executor: string
      target_rate?: number
      achieved_rate: number
      iterations: number
      dropped_iterations: number
      /** arrival-rate executors: scheduling lag (start − due time) percentiles, ms */
      lag_p50_ms?: number
      lag_p99_ms?: number
      /** most iterations in flight at once (with workers: the sum of each worker's peak) */
      peak_vus?: number
    }[]
    attempts: number
    legit: number
    attacks: number
    duration_s: number
  }
  metrics: {
    http_req_duration: TrendSummary
    /** latency of attack attempts only (the deny path) */
    deny_path_duration: TrendSummary
    [name: string]: unknown
  }
  gates: GateResult[]
  cases: CaseRow[]
  /**
   * every case the scenario asked for, covered or not and why (absent in runs made before it was
   * reported); a board reads not covered as a gap, never as a pass
   */
  coverage?: { case: string; covered: boolean; attempts: number; reason?: string }[]
  /** the cases grouped by family, each held, failed, partial or not covered; absent in runs made before it was reported */
  families?: FamilyRow[]
  /**
   * the run's results by control framework (OWASP ASI and NHI, NIST SP 800-53, NIST AI RMF, the
   * cited specifications); absent in runs made before it was reported
   */
  controls?: FrameworkControls[]
  legit: { attempts: number; counts: Partial<Record<Verdict, number>> }
  evidence: {
    records: number
    matched: number
    late: number
    /** records whose hash does not recompute: altered after writing, so they count as no evidence */
    tampered?: number
    /**
     * `chained`: the source's records are hash-chained and every chain was checked (links, hashes,
     * head samples); `unchained`: the audit trail is not tamper-evident (absent in runs made before
     * sources declared it: those were chained)
     */
    integrity?: EvidenceIntegrity
    /** where the run read evidence from */
    source?: string
    /**
     * a mapping source's lines (from the run's start on) that gave no record: not JSON, or a
     * required field missing or invalid; an attempt whose line it was shows as unrecorded. Absent for
     * sources that need no mapping
     */
    unmapped?: { count: number; examples: string[] }
    /** what reading and mapping changed or lost on the way: credential-looking values hashed or dropped, a file rotated, truncated or missing */
    mapping_warnings?: string[]
    /**
     * stretches while measuring when the evidence source could not be read (from the first failed
     * poll to the next that succeeded; `to` null: still failing when measuring ended). What was read
     * before stays; the final read after the settle window decides what is graded. Absent: none.
     */
    outages?: { from: string; to: string | null; polls: number; error: string }[]
    /**
     * how long after an attempt ended the harness first read its record while measuring, ms (the
     * live tail polls once a second, so up to a second of it is the poll); joined by trace id only,
     * so `seen` may be fewer than the records. Absent: no live tail (the self-test's sweep), no
     * record joined while measuring, or a run made before it was reported
     */
    lag?: { seen: number; p50_ms: number; p95_ms: number; p99_ms: number }
    /** one per writer's chain: ok, or the first problem found (broken link, altered record, head cut back, history rewritten) */
    chains: { component: string; records: number; ok: boolean; problem: string | null }[]
  }
  /**
   * transactions rebuilt from the target's records alone (oracle/reconstruct.ts): a seeded sample of
   * legitimate calls and every failing attack. Absent in runs graded before grader 5.
   */
  reconstruction?: {
    /** transactions judged: `legit` sampled plus `attacks` (every failing attack attempt) */
    sampled: number
    legit: number
    attacks: number
    /** chains followed from the call to the principal's subject token without a missing link */
    rebuilt: number
    /** rebuilt and naming the principal and actors the harness used */
    matched: number
    /** set when nothing could be judged: the target records no token exchange at all (or the run store predates reconstruction) */
    not_covered?: string
    /** every sampled legitimate transaction and the first failing attacks, mismatches first */
    transactions: ReconstructedTransaction[]
  }
  /** sample delegation chains (principal → agent → sub-agent), by id only; `chain` is the actors, agent first, without the principal */
  delegation_samples: { principal: string; chain: string[]; scope: string }[]
  /** the run's faults, in scenario order (absent when the scenario has none) */
  faults?: FaultResult[]
  /** 1 s buckets of the measured phase (present when the scenario has faults) */
  timeline?: TimelineBucket[]
  /** `gatecrash run --baseline <dir>`: this run against that one (harness/compare) */
  comparison?: RunComparison
  files: string[]
}

/**
 * One difference between a baseline run and a later one. `hard`: something the baseline proved is
 * not proven now (a case's verdict, a gate, coverage, a family); `soft`: a figure that moved
 * beyond its tolerance (latency, evidence lag).
 */
export interface RunChange {
  kind: 'case' | 'gate' | 'coverage' | 'family' | 'latency' | 'evidence-lag'
  /** a case id, a gate (`metric expression`, with its window), a family, or a figure (`http_req_duration p95`) */
  subject: string
  /** verdicts and results as words; figures in ms (null: absent on that side) */
  baseline: string | number | null
  now: string | number | null
  /** one line saying what changed, e.g. `pass → warn (12 of 40 attempts warn)` */
  detail: string
}

/** A figure's tolerance: a change counts only beyond both (now > baseline × (1 + relative) and now − baseline > absolute_ms). */
export interface ChangeTolerance {
  relative: number
  absolute_ms: number
}

export interface RunComparison {
  baseline: { run_id: string; scenario: string; target: string; verdict: RunVerdict }
  /** soft regressions count as regressions (`--strict`) */
  strict: boolean
  /** a hard regression, or a soft one under `strict` */
  regressed: boolean
  hard: RunChange[]
  soft: RunChange[]
  /** what is better than the baseline: a case that holds now, a gate that holds, a figure beyond its tolerance the other way */
  improvements: RunChange[]
  /** what makes the two runs less comparable (another scenario, target, seed or load; cases only one of them has) */
  notes: string[]
  tolerance: { latency: ChangeTolerance; evidence_lag: ChangeTolerance }
}
