/**
 * The end of every run, finished or not: collect evidence after the settle window into the run
 * store, grade it, evaluate gates, write run.json and hand the result to the reporters. `gatecrash
 * report` re-enters at gradeRun() with the store already on disk. Nothing here holds the run's
 * attempts or evidence in memory: they stream from run.db (run-store.ts).
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CATALOG_VERSION, selectCases } from '../attacks/catalog.ts'
import { FRAMEWORKS } from '../attacks/controls/frameworks.ts'
import { controlEvidence } from '../attacks/controls/mapping.ts'
import type { EvidenceIntegrity, EvidenceProblems, EvidenceSource } from '../contracts/evidence-source.ts'
import type { FaultWindowRecord } from '../contracts/fault-window.ts'
import type { IssuedTokenSummary } from '../contracts/issued-token.ts'
import { issuedNotCovered } from '../oracle/issued-ledger.ts'
import { RUN_SCHEMA, type RunComparison, type RunJson } from '../contracts/run-json.ts'
import { compareRuns } from '../compare/compare-runs.ts'
import { runVerdict } from '../oracle/gates.ts'
import { controlsOf } from '../oracle/controls.ts'
import { familiesOf } from '../oracle/families.ts'
import { GRADER_VERSION } from '../oracle/grader-version.ts'
import { summarizeMetrics } from '../oracle/metrics.ts'
import type { ScenarioConfig } from '../scenario/types.ts'
import { verifyHistory } from '../evidence/integrity.ts'
import { mergeProblems } from '../evidence/problems.ts'
import type { EvidenceOutage } from './evidence-tail.ts'
import { gradeStore } from './grade-store.ts'
import type { ScenarioStats } from './measure/measure.ts'
import { runReporters, type Reporter } from './reporter.ts'
import { readRunJson } from './read-run-json.ts'
import { RUN_FILES } from './run-dir.ts'
import { RunStore } from './run-store.ts'
import { storeRows } from './store-rows.ts'
import { TOOL_VERSION } from './version.ts'

/** What a run knows about itself besides its logs; saved as context.json for re-grading. */
export interface RunContext {
  runId: string
  dir: string
  scenarioFile: string
  scenarioName: string
  config: ScenarioConfig
  seed: number
  startedAt: string
  endedAt?: string
  stoppedEarly?: string
  target: RunJson['target']
  population: RunJson['population']
  scenarios: ScenarioStats[]
  delegationSamples: RunJson['delegation_samples']
  chainStart: Record<string, string | null>
  /** the evidence source's cursor when measuring began */
  evidenceCursor: string | null
  /** where the live evidence tail stopped: its records are in the store already, the final read goes on from here */
  evidenceTailCursor?: string | null
  /** the fault windows as they happened (harness/chaos), so a re-grade judges the same ones */
  faults?: FaultWindowRecord[]
  /** the evidence source's kind and whether its records are hash-chained (absent in older runs: chained) */
  evidenceSource?: string
  evidenceIntegrity?: EvidenceIntegrity
  /** a mapping source's lines from the run's start cursor on that gave no record, and its warnings */
  evidenceProblems?: EvidenceProblems
  /** when the live tail could not read the source (evidence-tail.ts) */
  evidenceOutages?: EvidenceOutage[]
  /** how long after an attempt ended its record was first read while measuring (progress.ts); absent: nothing joined live */
  evidenceLag?: RunJson['evidence']['lag']
  /** the grader version the run was made with (absent before version 2) */
  grader?: number
  /** selected cases that could not be exercised against this target, with the reason (set-up, carriers) */
  notCovered?: Record<string, string>
  /** what the issued-token checks concluded about every token the run received (grader 4 on) */
  issuedTokens?: IssuedTokenSummary
  /**
   * `run --baseline`: the run directory to compare with (absolute) and whether soft regressions
   * count; kept here so `gatecrash report` compares its re-grade with the same baseline
   */
  baseline?: { dir: string; strict: boolean }
}

export interface FinalizeOptions {
  /** the run's evidence source; absent when the target never started (nothing to read) */
  evidence?: EvidenceSource
  settleMs: number
  stoppedEarly?: string
  reporters: Reporter[]
  log: (line: string) => void
}

/** Head samples after the final read, each followed by a read of what landed meanwhile. */
const FINAL_HEAD_SAMPLES = 3

export async function finalizeRun(ctx: RunContext, options: FinalizeOptions): Promise<RunJson> {
  ctx.endedAt = new Date().toISOString()
  ctx.stoppedEarly = options.stoppedEarly
  const store = RunStore.open(path.join(ctx.dir, RUN_FILES.db))
  // this run wrote its records' views: its own grading reads them (a re-grade does not)
  store.viewsTrusted = true
  try {
    if (options.evidence) {
      const wait = store.attemptSummary().lastEnd + options.settleMs - Date.now()
      if (wait > 0) {
        options.log(`waiting ${(wait / 1000).toFixed(1)} s for evidence to settle`)
        await settle(store, options.evidence, wait)
      }
      try {
        await readRest(ctx, store, options.evidence)
      } catch (e) {
        ctx.stoppedEarly ??= `evidence unavailable: ${(e as Error).message}`
        options.log(`warning: ${(e as Error).message}; grading with the evidence read so far (${store.evidenceCount()} records)`)
      }
    }
    return await gradeRun(ctx, store, options)
  } finally {
    store.close()
  }
}

/** heads sampled while the evidence settles, so a trail cut or rewritten once it went quiet shows */
const SETTLE_HEAD_SAMPLE_MS = 500

async function settle(store: RunStore, source: EvidenceSource, ms: number): Promise<void> {
  const until = Date.now() + ms
  for (let left = ms; left > 0; left = until - Date.now()) {
    await new Promise((r) => setTimeout(r, Math.min(left, SETTLE_HEAD_SAMPLE_MS)))
    if (source.integrity === 'chained' && source.heads) {
      // a source that is down now is read (or found down) after the wait; its samples are optional
      await source.heads().then((h) => store.addHeadSample(h, Date.now()), () => {})
    }
  }
}

/**
 * The evidence after the last page the run has, page by page into the store (never all in memory),
 * then the source's heads after the settle window (a head must be in the chain as read, so each
 * sample is followed by a read of whatever landed between the two), then a re-read of the run's
 * whole history to check the source still serves what the run read (evidence/integrity.ts).
 */
async function readRest(ctx: RunContext, store: RunStore, source: EvidenceSource): Promise<void> {
  let cursor = ctx.evidenceTailCursor ?? ctx.evidenceCursor
  const read = async (): Promise<number> => {
    let n = 0
    for await (const page of source.pages(cursor)) {
      store.appendEvidence(page.records)
      if (page.problems) ctx.evidenceProblems = mergeProblems(ctx.evidenceProblems, page.problems)
      n += page.records.length
      cursor = page.cursor ?? cursor
    }
    return n
  }
  await read()
  if (source.integrity !== 'chained') return
  if (source.heads) {
    for (let i = 0; i < FINAL_HEAD_SAMPLES; i++) {
      store.addHeadSample(await source.heads(), Date.now())
      if ((await read()) === 0) break
    }
  }
  ctx.evidenceTailCursor = cursor
  const problems = await verifyHistory({ pages: source.pages(ctx.evidenceCursor), chainStart: ctx.chainStart, compare: (r) => store.compareServed(r), stored: store.storedPerComponent() })
  for (const p of problems) store.addVerificationProblem(p.component, p.problem)
}

/**
 * Grades what the store holds (streaming, oracle/grade-stream.ts), evaluates the gates, hands the
 * run to the reporters and writes run.json. The store stays open for the reporters; the caller closes it.
 */
export async function gradeRun(ctx: RunContext, store: RunStore, options: Pick<FinalizeOptions, 'reporters' | 'log' | 'settleMs'> & { regraded?: RunJson['regraded'] }): Promise<RunJson> {
  const summary = store.attemptSummary()
  const settleDeadline = summary.lastEnd + options.settleMs
  const measuredMs = ctx.scenarios.reduce((m, s) => Math.max(m, s.durationMs), 0) || Math.max(1, summary.lastEnd - (summary.firstScheduled ?? summary.lastEnd))
  const { graded, gates, faults, reconstruction } = gradeStore(store, {
    thresholds: ctx.config.thresholds,
    faults: ctx.faults,
    settleDeadline,
    chainStart: ctx.chainStart,
    integrity: ctx.evidenceIntegrity,
    cases: selectCases(ctx.config.attacks?.cases ?? []).cases.map((c) => c.id),
    durationS: measuredMs / 1000,
    extraCounters: ctx.scenarios.map((s) => ({ name: 'dropped_iterations', value: s.dropped, tags: { scenario: s.name } })),
    issued: ctx.issuedTokens,
    seed: ctx.seed,
  })
  const gateVerdict = runVerdict(gates)
  const coverage = coverageOf(graded.cases, { ...ctx.notCovered, ...(ctx.issuedTokens ? issuedNotCovered(ctx.issuedTokens) : {}) }) ?? []
  const run: RunJson = {
    schema: RUN_SCHEMA,
    run_id: ctx.runId,
    verdict: gateVerdict === 'not-ready' ? 'not-ready' : ctx.stoppedEarly ? 'incomplete' : 'ready',
    ...(ctx.stoppedEarly ? { stopped: ctx.stoppedEarly } : {}),
    started_at: ctx.startedAt,
    ended_at: ctx.endedAt ?? new Date().toISOString(),
    tool: { name: 'gatecrash', version: TOOL_VERSION, node: process.version, catalog: CATALOG_VERSION, grader: GRADER_VERSION },
    ...(options.regraded ? { regraded: options.regraded } : {}),
    scenario: { file: ctx.scenarioFile, name: ctx.scenarioName },
    seed: ctx.seed,
    target: ctx.target,
    population: ctx.population,
    load: {
      scenarios: ctx.scenarios.map((s) => ({
        name: s.name,
        executor: s.executor,
        target_rate: s.targetRate,
        achieved_rate: s.achievedRate,
        iterations: s.iterations,
        dropped_iterations: s.dropped,
        // open model only: how late iterations started against their due time (merged across workers)
        ...(s.lagP50Us === undefined ? {} : { lag_p50_ms: s.lagP50Us / 1000, lag_p99_ms: (s.lagP99Us ?? s.lagP50Us) / 1000 }),
        peak_vus: s.peakVUs,
      })),
      attempts: summary.attempts,
      legit: summary.legit,
      attacks: summary.attempts - summary.legit,
      duration_s: measuredMs / 1000,
    },
    metrics: summarizeMetrics(graded.metrics),
    gates,
    cases: graded.cases,
    coverage,
    families: familiesOf(graded.cases, coverage, gates),
    controls: controlsOf(FRAMEWORKS, controlEvidence(), graded.cases, gates),
    legit: graded.legit,
    evidence: { ...graded.evidence, ...(ctx.evidenceSource ? { source: ctx.evidenceSource } : {}), ...mappingOutcome(ctx.evidenceProblems), ...outagesOf(ctx.evidenceOutages), ...(ctx.evidenceLag ? { lag: ctx.evidenceLag } : {}) },
    reconstruction,
    delegation_samples: ctx.delegationSamples,
    ...(faults.faults.length > 0 ? { faults: faults.faults, timeline: faults.timeline } : {}),
    files: [RUN_FILES.runJson, RUN_FILES.db, RUN_FILES.context],
  }
  if (ctx.baseline) {
    const comparison = await compareWithBaseline(ctx.baseline, run, options.log)
    if (comparison) run.comparison = comparison
  }
  const written = await runReporters(options.reporters, run, storeRows(store, ctx.dir, settleDeadline), (name, e) =>
    options.log(`warning: reporter ${name} failed: ${(e as Error).message}`),
  )
  run.files.push(...written)
  await writeFile(path.join(ctx.dir, RUN_FILES.runJson), JSON.stringify(run, null, 2) + '\n')
  return run
}

/**
 * The run against its baseline, for run.json and the reports. The baseline was read and found
 * comparable before the run started (run.ts); if it has gone or changed since, the run is still
 * written, without a comparison, and says why.
 */
async function compareWithBaseline(baseline: NonNullable<RunContext['baseline']>, run: RunJson, log: (line: string) => void): Promise<RunComparison | undefined> {
  try {
    return compareRuns(await readRunJson(baseline.dir), run, { strict: baseline.strict })
  } catch (e) {
    log(`warning: no comparison with the baseline ${baseline.dir}: ${(e as Error).message}`)
    return undefined
  }
}

/**
 * Every case the scenario asked for, covered or not, with the reason (docs/architecture.md
 * "Oracle rules": not-covered is lost coverage, never a pass). A case is covered when at least one
 * of its attempts got an answer that proves something either way.
 */
export function coverageOf(rows: readonly RunJson['cases'][number][], notCovered: Readonly<Record<string, string>>): RunJson['coverage'] {
  return rows.map((r) => {
    const proving = r.attempts - (r.counts['not-covered'] ?? 0) - (r.counts.error ?? 0)
    if (proving > 0) return { case: r.id, covered: true, attempts: r.attempts }
    const reason = notCovered[r.id]
      ?? (r.attempts === 0 ? 'never fired: the schedule did not reach it before the run ended (a longer run or a larger attacks.share fires it)' : 'every attempt ended in a transport error: nothing was proven either way')
    return { case: r.id, covered: false, attempts: r.attempts, reason }
  })
}

/** run.json's view of a mapping source's problems (absent for sources that need no mapping). */
function outagesOf(outages: EvidenceOutage[] | undefined): Pick<RunJson['evidence'], 'outages'> {
  if (!outages?.length) return {}
  return { outages: outages.map((o) => ({ from: new Date(o.from).toISOString(), to: o.to === null ? null : new Date(o.to).toISOString(), polls: o.polls, error: o.error })) }
}

function mappingOutcome(p: EvidenceProblems | undefined): Pick<RunJson['evidence'], 'unmapped' | 'mapping_warnings'> {
  if (!p) return {}
  return { unmapped: { count: p.unmapped, examples: p.examples }, ...(p.warnings.length > 0 ? { mapping_warnings: p.warnings } : {}) }
}
