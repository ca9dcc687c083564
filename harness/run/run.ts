/**
 * One run, start to finish: load the scenario, then the session's phases (session.ts): set up the
 * target and population, measure, let evidence settle, grade, write the run directory. Whatever
 * happens midway, what was measured is on disk and graded (verdict `incomplete` if the run did not
 * finish).
 */
import type { FaultInjector } from '../chaos/injector.ts'
import type { TargetAdapter } from '../contracts/target.ts'
import { loadScenario, type ScenarioOverrides } from '../scenario/load.ts'
import type { Reporter } from './reporter.ts'
import { RunSession, type RunOutcome } from './session.ts'

export type { RunOutcome } from './session.ts'

export interface RunOptions {
  scenarioFile: string
  overrides?: ScenarioOverrides
  target: TargetAdapter
  flaws?: string[]
  outRoot?: string
  reporters?: Reporter[]
  /** first Ctrl-C: stop scheduling, finish in-flight work, still grade and write everything */
  stop?: AbortSignal
  log?: (line: string) => void
  progressOut?: NodeJS.WriteStream
  /** fault injector plugins for `Fault.custom(...)` (tried before the built-ins) */
  injectors?: FaultInjector[]
  /** state for cleaning up after a killed harness (fault proxy, paused target processes); default `.gatecrash` */
  stateDir?: string
}

export async function run(options: RunOptions): Promise<RunOutcome> {
  const scenario = await loadScenario(options.scenarioFile, options.overrides)
  const session = await RunSession.create({ ...options, scenario })
  let failure: unknown
  try {
    await session.setUp()
    await session.measure()
  } catch (e) {
    failure = e
  }
  return session.finish(failure)
}
