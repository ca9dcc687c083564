/**
 * A catalog sweep: a run (run/session.ts, the same phases and grading as `gatecrash run`) whose
 * measured phase is a fixed list instead of executors: some legitimate traffic, then every selected
 * case fired a few times. The self-test runs one sweep per target variant; spec tests use one sweep
 * to check every case id against the correct target. Each sweep leaves a run directory.
 */
import { CATALOG, selectCases } from '../attacks/catalog.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { RunJson } from '../contracts/run-json.ts'
import type { TargetAdapter } from '../contracts/target.ts'
import type { GradedAttempt } from '../contracts/verdict.ts'
import type { ThresholdMap } from '../oracle/thresholds.ts'
import { carriers, prepareCases, uncarried } from '../run/measure/measure.ts'
import { workflowStep } from '../run/measure/workflow.ts'
import { readGrading } from '../run/read-grading.ts'
import { RunSession } from '../run/session.ts'
import type { ScenarioConfig } from '../scenario/types.ts'

export interface SweepOptions {
  adapter: TargetAdapter
  flaws?: string[]
  /** case ids or patterns; default: the whole catalog */
  cases?: string[]
  attemptsPerCase?: number
  legitAttempts?: number
  seed?: number
  /** where the sweep's run directory goes */
  dataDir: string
  log?: (line: string) => void
  /** gates the sweep is judged by, besides the defaults (the self-test's: every warn raised) */
  thresholds?: ThresholdMap
  /**
   * the evidence settle window (default 3s, a run's default: a sweep's traffic is small and ends at
   * once, but a sink that loses or rewrites what it acknowledged does it seconds after the trail has
   * gone quiet, and the final read and the re-read must come after that)
   */
  settle?: string
}

export interface SweepResult {
  flaws: string[]
  /** the sweep's run.json: verdict, gates, per-case rows, evidence and its integrity */
  run: RunJson
  dir: string
  verdict: RunJson['verdict']
  cases: readonly AttackCase[]
  /** every attempt, in send order */
  attempts: AttemptRecord[]
  verdicts: Map<number, GradedAttempt>
  /** in-time records joined to each attempt */
  records: Map<number, EvidenceRecord[]>
}

/** The default gates plus every warn raised to a gate: a correct target shows none. */
export const SELFTEST_THRESHOLDS: ThresholdMap = { gatecrash_warns: ['count==0'] }

/** The sweep's population: small, but two tenants and sub-agents, so every case finds a carrier. */
const SWEEP_POPULATION: ScenarioConfig['population'] = { tenants: 2, agents: 12, subAgentsPerAgent: 2, depth: 2 }

export async function sweep(o: SweepOptions): Promise<SweepResult> {
  const cases = o.cases ? selectCases(o.cases).cases : [...CATALOG]
  const config: ScenarioConfig = {
    name: 'sweep',
    seed: o.seed ?? 1,
    population: SWEEP_POPULATION,
    scenarios: {},
    attacks: { share: 0, cases: cases.map((c) => c.id) },
    thresholds: { ...(o.thresholds ?? SELFTEST_THRESHOLDS) } as ScenarioConfig['thresholds'],
    evidence: { settle: o.settle ?? '3s' },
  }
  const session = await RunSession.create({ scenario: { file: '(sweep)', name: 'sweep', config }, target: o.adapter, flaws: o.flaws ?? [], outRoot: o.dataDir, log: o.log ?? (() => {}) })
  let failure: unknown
  try {
    await session.setUp()
    await session.drive(async ({ identities, kit, actionEnv, notCovered }) => {
      const prep = await prepareCases(cases, kit)
      const { mods, prepared } = prep
      const eligible = carriers(identities, kit.target.resources[0], mods)
      uncarried(mods, eligible, prep.notCovered, kit.log)
      notCovered(prep.notCovered)
      const legit = o.legitAttempts ?? 30
      await Promise.all(Array.from({ length: legit }, (_, i) => workflowStep(actionEnv(identities[i % identities.length], 1000 + i))))
      const per = o.attemptsPerCase ?? 3
      // Cases run side by side; each case's own attempts run one after another (a case may rely on order).
      await Promise.all(
        mods.map(async (m) => {
          const who = eligible.get(m.id) ?? []
          for (let i = 0; i < per && who.length > 0; i++) await m.fire(actionEnv(identities[who[(i * 7) % who.length]], 5000 + i, prepared.get(m.id)))
        }),
      )
    })
  } catch (e) {
    failure = e
  }
  const outcome = await session.finish(failure)
  if (outcome.failure !== undefined) throw outcome.failure
  const read = readGrading(outcome.dir)
  return { flaws: o.flaws ?? [], run: outcome.run, dir: outcome.dir, verdict: outcome.run.verdict, cases, ...read }
}
