/**
 * The measured phase: every named scenario of the k6-style map runs its executor; each iteration
 * becomes a workflow step or an attack, as the seeded schedule says.
 */
import { ATTACK_MODULES } from '../attacks/modules.ts'
import type { AttackModule } from '../attacks/types.ts'
import type { AttackCase } from '../attacks/catalog.ts'
import type { AttemptRecord } from '../attempt.ts'
import { runExecutor, type ExecutorStats } from '../load/executors/index.ts'
import type { HttpPools } from '../load/http-pool.ts'
import type { RunIdentity } from '../load/identity.ts'
import { scheduleIteration } from '../load/schedule.ts'
import { seededUnit } from '../load/seeded.ts'
import { workflowStep } from '../load/workflow.ts'
import { parseDuration } from '../scenario/duration.ts'
import type { ScenarioConfig } from '../scenario/types.ts'
import type { ResourceServerInfo, StartedTarget } from '../target/types.ts'
import type { CaseKit } from '../attacks/kit.ts'
import { CaseNotCovered } from '../attacks/types.ts'
import { makeActionEnv } from './action-env.ts'

export interface MeasureInput {
  config: ScenarioConfig
  seed: number
  identities: RunIdentity[]
  rs: ResourceServerInfo
  target: StartedTarget
  kit: CaseKit
  cases: readonly AttackCase[]
  pools: HttpPools
  onAttempt(a: AttemptRecord): void
  stop: AbortSignal
  /** called once cases are prepared, right before the executors start: the start of the measured phase (the fault schedule's zero) */
  onStart?(): void
}

export interface ScenarioStats extends ExecutorStats {
  name: string
  executor: string
}

/** For each case, the identities that can carry it, so a scheduled attack always finds a carrier. */
export function carriers(identities: RunIdentity[], rs: ResourceServerInfo, mods: AttackModule[]): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const m of mods) {
    out.set(m.id, identities.flatMap((id, i) => (m.eligible(id, rs) ? [i] : [])))
  }
  return out
}

/**
 * Runs every selected case's prepare() before measuring; a case that cannot be set up against this
 * target drops out (graded not-covered), the rest keep their prepared material.
 */
export async function prepareCases(cases: readonly AttackCase[], kit: CaseKit): Promise<{ mods: AttackModule[]; prepared: Map<string, unknown> }> {
  const prepared = new Map<string, unknown>()
  const mods: AttackModule[] = []
  const one = async (c: AttackCase) => {
    const m = ATTACK_MODULES.get(c.id)
    if (!m) return kit.log(`case ${c.id}: no generator in this version (not-covered)`)
    const missing = (c.needs ?? []).filter((cap) => !kit.target.capabilities[cap])
    if (missing.length > 0) return kit.log(`case ${c.id}: not-covered: the target lacks ${missing.join(', ')}`)
    try {
      prepared.set(c.id, m.prepare ? await m.prepare(kit) : undefined)
      mods.push(m)
    } catch (e) {
      if (!(e instanceof CaseNotCovered)) throw e
      kit.log(`case ${c.id}: not-covered: ${e.message}`)
    }
  }
  const exclusive = (c: AttackCase) => ATTACK_MODULES.get(c.id)?.exclusive === true
  await Promise.all(cases.filter((c) => !exclusive(c)).map(one))
  for (const c of cases.filter(exclusive)) await one(c)
  return { mods, prepared }
}

export async function measure(input: MeasureInput): Promise<ScenarioStats[]> {
  const { mods, prepared } = await prepareCases(input.cases, input.kit)
  const eligible = carriers(input.identities, input.rs, mods)
  const share = input.config.attacks?.share ?? 0
  const runnable = input.cases.filter((c) => (eligible.get(c.id)?.length ?? 0) > 0)
  for (const c of input.cases) if (mods.some((m) => m.id === c.id) && !runnable.includes(c)) input.kit.log(`case ${c.id}: no identity can carry it (not-covered)`)
  input.onStart?.()

  const runOne = async (name: string): Promise<ScenarioStats> => {
    const cfg = input.config.scenarios[name]
    // Each named scenario draws its own schedule from the run's seed, so two scenarios of one run do
    // not repeat the same identities and attacks at the same iteration numbers.
    const scenarioSeed = Math.floor(seededUnit(input.seed, 0, `scenario:${name}`) * 2 ** 32)
    const delay = parseDuration(cfg.startTime ?? '0s')!
    if (delay > 0) await sleep(delay, input.stop)
    // k6's executors by name (load/executors/): each numbers its iterations uniquely within this scenario
    const stats = await runExecutor(
      cfg,
      async ({ iteration, scheduledAt, signal }) => {
        const plan = scheduleIteration({ seed: scenarioSeed, identities: input.identities.length, attackShare: share, cases: runnable }, iteration)
        let who = plan.identity
        let attack: AttackModule | undefined
        if (plan.kind === 'attack') {
          attack = ATTACK_MODULES.get(plan.caseId!)
          const list = eligible.get(plan.caseId!)!
          who = list[plan.identity % list.length]
        }
        const env = makeActionEnv({
          identity: input.identities[who],
          rs: input.rs,
          target: input.target,
          kit: input.kit,
          pools: input.pools,
          scenario: name,
          scheduledAt,
          salt: plan.salt,
          signal,
          prepared: attack ? prepared.get(attack.id) : undefined,
          onAttempt: input.onAttempt,
        })
        await (attack ? attack.fire(env) : workflowStep(env))
      },
      input.stop,
    )
    return { name, executor: cfg.executor, ...stats }
  }
  return Promise.all(Object.keys(input.config.scenarios).map(runOne))
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })
}
