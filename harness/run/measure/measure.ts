/**
 * The measured phase: every named scenario of the k6-style map runs its executor; each iteration
 * becomes a workflow step or an attack, as the seeded schedule says. With `workers` > 1 the
 * iterations run in worker threads, each owning a segment of the population (coordinator.ts, load-worker.ts).
 */
import { ATTACK_MODULES } from '../../attacks/modules.ts'
import type { AttackModule } from '../../attacks/types.ts'
import type { AttackCase } from '../../contracts/attack-case.ts'
import { runExecutor, type ExecutorStats } from '../../load/executors/index.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import type { LoadPhaseInput } from './phase-input.ts'
import { act } from './act.ts'
import { runWorkers } from './coordinator.ts'
import { routeIteration, scenarioSeed, type RouteInput } from './route.ts'
import { parseDuration } from '../../contracts/duration.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'
import type { CaseKit } from '../../attacks/kit.ts'
import { CaseNotCovered } from '../../attacks/types.ts'
import { coverageGap } from '../../attacks/coverage-gap.ts'
import { AdminHookMissing } from '../../contracts/errors.ts'

export interface MeasureInput extends LoadPhaseInput {
  cases: readonly AttackCase[]
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
 * target drops out (graded not-covered, with the reason in `notCovered`), the rest keep their
 * prepared material.
 */
export async function prepareCases(cases: readonly AttackCase[], kit: CaseKit): Promise<{ mods: AttackModule[]; prepared: Map<string, unknown>; notCovered: Map<string, string> }> {
  const prepared = new Map<string, unknown>()
  const notCovered = new Map<string, string>()
  const mods: AttackModule[] = []
  const drop = (id: string, reason: string): void => {
    notCovered.set(id, reason)
    kit.log(`case ${id}: not-covered: ${reason}`)
  }
  const one = async (c: AttackCase) => {
    const m = ATTACK_MODULES.get(c.id)
    if (!m) return drop(c.id, 'no generator in this version of gatecrash')
    const gap = coverageGap(c, kit.target)
    if (gap !== undefined) return drop(c.id, gap)
    try {
      // the tokens a case's set-up receives are checked in its name
      prepared.set(c.id, m.prepare ? await m.prepare(kit.forCase(c.id)) : undefined)
      mods.push(m)
    } catch (e) {
      // an admin hook the target does not declare leaves the case uncovered, like a refused set-up
      const hookMissing = e instanceof AdminHookMissing || (e as { cause?: unknown })?.cause instanceof AdminHookMissing
      if (!(e instanceof CaseNotCovered) && !hookMissing) throw e
      drop(c.id, (e as Error).message)
    }
  }
  const exclusive = (c: AttackCase) => ATTACK_MODULES.get(c.id)?.exclusive === true
  await Promise.all(cases.filter((c) => !exclusive(c)).map(one))
  for (const c of cases.filter(exclusive)) await one(c)
  return { mods, prepared, notCovered }
}

/** Cases prepared but without any identity that can carry them drop out too. */
export function uncarried(mods: readonly AttackModule[], eligible: ReadonlyMap<string, readonly number[]>, notCovered: Map<string, string>, log: (l: string) => void): void {
  for (const m of mods) {
    if ((eligible.get(m.id)?.length ?? 0) > 0) continue
    notCovered.set(m.id, 'no identity of the population can carry it (its scopes, tenants or delegation depth)')
    log(`case ${m.id}: not-covered: no identity can carry it`)
  }
}

export async function measure(input: MeasureInput): Promise<ScenarioStats[]> {
  const { mods, prepared, notCovered } = await prepareCases(input.cases, input.kit)
  const eligible = carriers(input.identities, input.rs, mods)
  const share = input.config.attacks?.share ?? 0
  const runnable = input.cases.filter((c) => (eligible.get(c.id)?.length ?? 0) > 0)
  uncarried(mods, eligible, notCovered, input.kit.log)
  input.onNotCovered?.(notCovered)
  const route: RouteInput = { identities: input.identities.length, attackShare: share, cases: runnable, eligible }

  if ((input.config.workers ?? 1) > 1) {
    // Workers warm up on their own and call onStart at their common start epoch.
    const stats = await runWorkers({ ...input, workers: input.config.workers!, route, prepared })
    return Object.entries(input.config.scenarios).map(([name, cfg]) => ({ name, executor: cfg.executor, ...stats[name] }))
  }

  input.onStart?.()
  const runOne = async (name: string): Promise<ScenarioStats> => {
    const cfg = input.config.scenarios[name]
    const seed = scenarioSeed(input.seed, name)
    const delay = parseDuration(cfg.startTime ?? '0s')!
    if (delay > 0) await sleep(delay, input.stop)
    // k6's executors by name (load/executors/): each numbers its iterations uniquely within this scenario
    const stats = await runExecutor(
      cfg,
      async ({ iteration, scheduledAt, signal }) => {
        const r = routeIteration(route, seed, iteration)
        const env = { identity: input.identities[r.who], rs: input.rs, target: input.target, kit: input.kit, pools: input.pools, scenario: name, iteration, scheduledAt, signal, onAttempt: input.onAttempt }
        await act(r, env, prepared)
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
