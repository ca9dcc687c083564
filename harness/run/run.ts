/**
 * One run, start to finish: load the scenario, then the session's phases (session.ts): set up the
 * target and population, measure, let evidence settle, grade, write the run directory. Whatever
 * happens midway, what was measured is on disk and graded (verdict `incomplete` if the run did not
 * finish).
 */
import path from 'node:path'
import { selectCases } from '../attacks/catalog.ts'
import { assertComparable } from '../compare/compare-runs.ts'
import { loadScenario, type ScenarioOverrides } from '../scenario/load.ts'
import { readRunJson } from './read-run-json.ts'
import { RunSession, type RunOutcome, type SessionOptions } from './session.ts'

export type { RunOutcome } from './session.ts'

export interface RunOptions extends Omit<SessionOptions, 'scenario' | 'baseline'> {
  scenarioFile: string
  overrides?: ScenarioOverrides
  /** a finished run to compare with at the end (`--baseline`); `strict`: soft regressions count */
  baseline?: { dir: string; strict?: boolean }
}

export async function run(options: RunOptions): Promise<RunOutcome> {
  const scenario = await loadScenario(options.scenarioFile, options.overrides)
  // A baseline that cannot be read, or shares no attack case with the scenario, stops the run
  // before anything starts rather than after minutes of load.
  let baseline: SessionOptions['baseline']
  if (options.baseline) {
    const base = await readRunJson(options.baseline.dir)
    assertComparable({ run_id: base.run_id, cases: base.cases.map((c) => c.id) }, { name: `scenario ${scenario.name}`, cases: selectCases(scenario.config.attacks?.cases ?? []).cases.map((c) => c.id) })
    baseline = { dir: path.resolve(options.baseline.dir), strict: options.baseline.strict ?? false }
  }
  const session = await RunSession.create({ ...options, scenario, baseline })
  let failure: unknown
  try {
    await session.setUp()
    await session.measure()
  } catch (e) {
    failure = e
  }
  return session.finish(failure)
}
