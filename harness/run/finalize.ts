/**
 * The end of every run, finished or not: collect evidence after the settle window, grade, evaluate
 * gates, write run.json and hand the result to the reporters. `gatecrash report` re-enters at
 * gradeRun() with the logs already on disk.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CATALOG, CATALOG_VERSION, selectCases } from '../attacks/catalog.ts'
import type { AttemptRecord } from '../attempt.ts'
import { httpCursorSource } from '../evidence/http-cursor-source.ts'
import type { EvidenceRecord } from '../evidence/record.ts'
import { evaluateGates, runVerdict } from '../oracle/gates.ts'
import { grade, type GradeResult } from '../oracle/grade.ts'
import { buildMetrics, summarizeMetrics } from '../oracle/metrics.ts'
import type { ScenarioConfig } from '../scenario/types.ts'
import type { StartedTarget } from '../target/types.ts'
import { readJsonLines } from './attempt-log.ts'
import type { ScenarioStats } from './measure.ts'
import { runReporters, type Reporter } from './reporter.ts'
import { RUN_FILES } from './run-dir.ts'
import { RUN_SCHEMA, type RunJson } from './run-json.ts'
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
}

export interface FinalizeOptions {
  target?: StartedTarget
  settleMs: number
  stoppedEarly?: string
  reporters: Reporter[]
  log: (line: string) => void
}

export interface GradedRun {
  run: RunJson
  attempts: AttemptRecord[]
  evidence: EvidenceRecord[]
  graded: GradeResult
}

export async function finalizeRun(ctx: RunContext, options: FinalizeOptions): Promise<RunJson> {
  ctx.endedAt = new Date().toISOString()
  ctx.stoppedEarly = options.stoppedEarly
  const attempts = await readJsonLines<AttemptRecord>(path.join(ctx.dir, RUN_FILES.attempts))
  let evidence: EvidenceRecord[] = []
  if (options.target) {
    const lastEnd = attempts.reduce((m, a) => Math.max(m, a.ended_at), 0)
    const wait = lastEnd + options.settleMs - Date.now()
    if (wait > 0) {
      options.log(`waiting ${(wait / 1000).toFixed(1)} s for evidence to settle`)
      await new Promise((r) => setTimeout(r, wait))
    }
    try {
      evidence = (await httpCursorSource(options.target.evidence.url).readAll(ctx.evidenceCursor)).records
    } catch (e) {
      ctx.stoppedEarly ??= `evidence unavailable: ${(e as Error).message}`
      options.log(`warning: ${(e as Error).message}; grading without evidence`)
    }
  }
  await writeFile(path.join(ctx.dir, RUN_FILES.evidence), evidence.map((r) => JSON.stringify(r)).join('\n') + (evidence.length ? '\n' : ''))
  return (await gradeRun(ctx, attempts, evidence, options)).run
}

export async function gradeRun(ctx: RunContext, attempts: AttemptRecord[], evidence: EvidenceRecord[], options: Pick<FinalizeOptions, 'reporters' | 'log' | 'settleMs'>): Promise<GradedRun> {
  const selected = selectCases(ctx.config.attacks?.cases ?? []).cases.map((c) => c.id)
  const lastEnd = attempts.reduce((m, a) => Math.max(m, a.ended_at), 0)
  const graded = grade({ attempts, evidence, catalog: CATALOG, settleDeadline: lastEnd + options.settleMs, chainStart: ctx.chainStart, cases: selected })
  const measuredMs = ctx.scenarios.reduce((m, s) => Math.max(m, s.durationMs), 0) || Math.max(1, lastEnd - (attempts[0]?.scheduled_at ?? lastEnd))
  const metrics = buildMetrics({
    attempts,
    graded: graded.attempts,
    catalog: CATALOG,
    durationS: measuredMs / 1000,
    extraCounters: ctx.scenarios.map((s) => ({ name: 'dropped_iterations', value: s.dropped, tags: { scenario: s.name } })),
  })
  const gates = evaluateGates(metrics, ctx.config.thresholds)
  const gateVerdict = runVerdict(gates)
  const legit = attempts.filter((a) => a.kind === 'legit').length
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
      })),
      attempts: attempts.length,
      legit,
      attacks: attempts.length - legit,
      duration_s: measuredMs / 1000,
    },
    metrics: summarizeMetrics(metrics),
    gates,
    cases: graded.cases,
    legit: graded.legit,
    evidence: graded.evidence,
    delegation_samples: ctx.delegationSamples,
    files: [RUN_FILES.runJson, RUN_FILES.attempts, RUN_FILES.evidence, RUN_FILES.context],
  }
  const files = { dir: ctx.dir, attempts: path.join(ctx.dir, RUN_FILES.attempts), evidence: path.join(ctx.dir, RUN_FILES.evidence) }
  const written = await runReporters(options.reporters, run, { ...files, graded, attemptRecords: attempts, evidenceRecords: evidence }, (name, e) =>
    options.log(`warning: reporter ${name} failed: ${(e as Error).message}`),
  )
  run.files.push(...written)
  await writeFile(path.join(ctx.dir, RUN_FILES.runJson), JSON.stringify(run, null, 2) + '\n')
  return { run, attempts, evidence, graded }
}
