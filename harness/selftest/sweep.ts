/**
 * A catalog sweep: start a target, provision a small population, fire every selected case a few
 * times plus some legitimate traffic, read the evidence and grade it. The self-test runs one sweep
 * per target variant; spec tests use one sweep to check every case id against the correct target.
 */
import { selectCases, CATALOG } from '../attacks/catalog.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import { makeKit } from '../attacks/kit.ts'
import type { AttemptRecord } from '../contracts/attempt.ts'
import { headsOf } from '../evidence/chain.ts'
import { httpCursorSource } from '../evidence/http-cursor-source.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import { epochNow } from '../load/clock.ts'
import { HttpPools } from '../load/http-pool.ts'
import { workflowStep } from '../run/measure/workflow.ts'
import { evaluateGates, runVerdict } from '../oracle/gates.ts'
import { grade, type GradeResult } from '../oracle/grade.ts'
import { buildMetrics } from '../oracle/metrics.ts'
import type { ThresholdMap } from '../oracle/thresholds.ts'
import type { GateResult } from '../contracts/run-json.ts'
import { makeActionEnv } from '../run/measure/action-env.ts'
import { carriers, prepareCases } from '../run/measure/measure.ts'
import { provisionPhase } from '../run/provision-phase.ts'
import type { TargetAdapter } from '../contracts/target.ts'

export interface SweepOptions {
  adapter: TargetAdapter
  flaws?: string[]
  /** case ids or patterns; default: the whole catalog */
  cases?: string[]
  attemptsPerCase?: number
  legitAttempts?: number
  seed?: number
  dataDir: string
  log?: (line: string) => void
  /** gates the sweep is judged by (the self-test's: defaults plus every warn raised) */
  thresholds?: ThresholdMap
  settleMs?: number
}

export interface SweepResult {
  flaws: string[]
  attempts: AttemptRecord[]
  evidence: EvidenceRecord[]
  graded: GradeResult
  gates: GateResult[]
  verdict: 'ready' | 'not-ready'
  cases: readonly AttackCase[]
}

/** design.md's default gates, plus every warn raised to a gate: a correct target shows none. */
export const SELFTEST_THRESHOLDS: ThresholdMap = { gatecrash_warns: ['count==0'] }

export async function sweep(o: SweepOptions): Promise<SweepResult> {
  const log = o.log ?? (() => {})
  const cases = o.cases ? selectCases(o.cases).cases : [...CATALOG]
  const stop = new AbortController()
  const phase = await provisionPhase({
    config: { population: { tenants: 2, agents: 12, subAgentsPerAgent: 2, depth: 2 }, scenarios: {} },
    seed: o.seed ?? 1,
    adapter: o.adapter,
    flaws: o.flaws ?? [],
    dir: o.dataDir,
    log,
    stop: stop.signal,
  })
  const target = phase.target
  const pools = new HttpPools(16)
  const attempts: AttemptRecord[] = []
  try {
    const source = httpCursorSource(target.evidence.url)
    const before = await source.readAll()
    const cursor = before.cursor
    const chainStart = headsOf(before.records)
    const kit = makeKit({ target, meta: phase.meta, idp: phase.idp, principals: phase.principals, identities: phase.identities, pools, log, initialAccessToken: phase.initialAccessToken })
    const rs = target.resources[0]
    const { mods, prepared } = await prepareCases(cases, kit)
    const eligible = carriers(phase.identities, rs, mods)
    const env = (identity: number, salt: number, prepared: unknown) =>
      makeActionEnv({ identity: phase.identities[identity], rs, target, kit, pools, scenario: 'sweep', scheduledAt: epochNow(), salt, signal: stop.signal, prepared, onAttempt: (a) => attempts.push(a) })
    const legit = o.legitAttempts ?? 30
    await Promise.all(Array.from({ length: legit }, (_, i) => workflowStep(env(i % phase.identities.length, 1000 + i, undefined))))
    const per = o.attemptsPerCase ?? 3
    // Cases run side by side; each case's own attempts run one after another (a case may rely on order).
    await Promise.all(
      mods.map(async (m) => {
        const who = eligible.get(m.id) ?? []
        for (let i = 0; i < per && who.length > 0; i++) await m.fire(env(who[(i * 7) % who.length], 5000 + i, prepared.get(m.id)))
      }),
    )
    const lastEnd = attempts.reduce((m, a) => Math.max(m, a.ended_at), 0)
    await new Promise((r) => setTimeout(r, o.settleMs ?? 600))
    const evidence = (await source.readAll(cursor)).records
    const graded = grade({ attempts, evidence, catalog: CATALOG, settleDeadline: lastEnd + (o.settleMs ?? 600) + 2000, chainStart, cases: cases.map((c) => c.id) })
    const metrics = buildMetrics({ attempts, graded: graded.attempts, catalog: CATALOG, durationS: Math.max(1, (lastEnd - (attempts[0]?.scheduled_at ?? lastEnd)) / 1000) })
    const gates = evaluateGates(metrics, o.thresholds ?? SELFTEST_THRESHOLDS)
    return { flaws: o.flaws ?? [], attempts, evidence, graded, gates, verdict: runVerdict(gates), cases }
  } finally {
    await pools.close()
    await target.stop()
  }
}
