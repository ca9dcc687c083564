/**
 * One run, start to finish: load the scenario, then the session's phases (session.ts): set up the
 * target and population, measure, let evidence settle, grade, write the run directory. Whatever
 * happens midway, what was measured is on disk and graded (verdict `incomplete` if the run did not
 * finish).
 */
import { loadScenario, type ScenarioOverrides } from '../scenario/load.ts'
import { RunSession, type RunOutcome, type SessionOptions } from './session.ts'

export type { RunOutcome } from './session.ts'

export interface RunOptions extends Omit<SessionOptions, 'scenario'> {
  scenarioFile: string
  overrides?: ScenarioOverrides
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
