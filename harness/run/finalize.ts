/**
 * The end of every run, finished or not: collect evidence after the settle window into the run
 * store, grade it, evaluate gates, write run.json and hand the result to the reporters. `gatecrash
 * report` re-enters at gradeRun() with the store already on disk. Nothing here holds the run's
 * attempts or evidence in memory: they stream from run.db (run-store.ts).
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CATALOG, CATALOG_VERSION, selectCases } from '../attacks/catalog.ts'
import { httpCursorSource } from '../evidence/http-cursor-source.ts'
import { evaluateGates, runVerdict } from '../oracle/gates.ts'
import { gradeStream } from '../oracle/grade-stream.ts'
import { summarizeMetrics } from '../oracle/metrics.ts'
import type { ScenarioConfig } from '../scenario/types.ts'
import type { StartedTarget } from '../contracts/target.ts'
import type { ScenarioStats } from './measure/measure.ts'
import { runReporters, type Reporter } from './reporter.ts'
import { RUN_FILES } from './run-dir.ts'
import { RUN_SCHEMA, type RunJson } from '../contracts/run-json.ts'
import { RunStore } from './run-store.ts'
import { storeRows } from './store-rows.ts'
import { TOOL_VERSION } from './version.ts'
import { ChaosGrading, storedEvidence } from '../oracle/faults/chaos-grading.ts'
import type { FaultWindowRecord } from '../contracts/fault-window.ts'

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
}

export interface FinalizeOptions {
  target?: StartedTarget
  settleMs: number
  stoppedEarly?: string
  reporters: Reporter[]
  log: (line: string) => void
}

export async function finalizeRun(ctx: RunContext, options: FinalizeOptions): Promise<RunJson> {
  ctx.endedAt = new Date().toISOString()
  ctx.stoppedEarly = options.stoppedEarly
  const store = RunStore.open(path.join(ctx.dir, RUN_FILES.db))
  try {
    if (options.target) {
      const wait = store.attemptSummary().lastEnd + options.settleMs - Date.now()
      if (wait > 0) {
        options.log(`waiting ${(wait / 1000).toFixed(1)} s for evidence to settle`)
        await new Promise((r) => setTimeout(r, wait))
      }
      try {
        // Page by page into the store: the run's evidence is never all in memory.
        for await (const page of httpCursorSource(options.target.evidence.url).pages(ctx.evidenceTailCursor ?? ctx.evidenceCursor)) store.appendEvidence(page.records)
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

/**
 * Grades what the store holds (streaming, oracle/grade-stream.ts), evaluates the gates, hands the
 * run to the reporters and writes run.json. The store stays open for the reporters; the caller closes it.
 */
export async function gradeRun(ctx: RunContext, store: RunStore, options: Pick<FinalizeOptions, 'reporters' | 'log' | 'settleMs'>): Promise<RunJson> {
  const selected = selectCases(ctx.config.attacks?.cases ?? []).cases.map((c) => c.id)
  const summary = store.attemptSummary()
  const settleDeadline = summary.lastEnd + options.settleMs
  const measuredMs = ctx.scenarios.reduce((m, s) => Math.max(m, s.durationMs), 0) || Math.max(1, summary.lastEnd - (summary.firstScheduled ?? summary.lastEnd))
  const chaos = new ChaosGrading({ windows: ctx.faults ?? [], catalog: CATALOG, thresholds: ctx.config.thresholds, evidence: storedEvidence(store) })
  const graded = gradeStream(store, {
    faultWindows: chaos.metricWindows,
    adjust: chaos.adjust,
    catalog: CATALOG,
    settleDeadline,
    chainStart: ctx.chainStart,
    cases: selected,
    durationS: measuredMs / 1000,
    extraCounters: ctx.scenarios.map((s) => ({ name: 'dropped_iterations', value: s.dropped, tags: { scenario: s.name } })),
  })
  store.setMeta('settle_deadline', String(settleDeadline))
  store.commit()
  const faults = chaos.finish()
  const gates = [...evaluateGates(graded.metrics, ctx.config.thresholds), ...faults.gates]
  const gateVerdict = runVerdict(gates)
  const run: RunJson = {
    schema: RUN_SCHEMA,
    run_id: ctx.runId,
    verdict: gateVerdict === 'not-ready' ? 'not-ready' : ctx.stoppedEarly ? 'incomplete' : 'ready',
    ...(ctx.stoppedEarly ? { stopped: ctx.stoppedEarly } : {}),
    started_at: ctx.startedAt,
    ended_at: ctx.endedAt ?? new Date().toISOString(),
    tool: { name: 'gatecrash', version: TOOL_VERSION, node: process.version, catalog: CATALOG_VERSION },
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
    legit: graded.legit,
    evidence: graded.evidence,
    delegation_samples: ctx.delegationSamples,
    ...(faults.faults.length > 0 ? { faults: faults.faults, timeline: faults.timeline } : {}),
    files: [RUN_FILES.runJson, RUN_FILES.db, RUN_FILES.context],
  }
  const written = await runReporters(options.reporters, run, storeRows(store, ctx.dir, settleDeadline), (name, e) =>
    options.log(`warning: reporter ${name} failed: ${(e as Error).message}`),
  )
  run.files.push(...written)
  await writeFile(path.join(ctx.dir, RUN_FILES.runJson), JSON.stringify(run, null, 2) + '\n')
  return run
}
