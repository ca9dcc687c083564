import path from 'node:path'
import { caseFamilies, selectCases } from '../attacks/catalog.ts'
import { importDefault } from '../config/import-default.ts'
import { ScenarioInvalid, ThresholdInvalid } from '../contracts/errors.ts'
import { abortThresholds } from '../oracle/live-gates.ts'
import { METRIC_TYPES } from '../oracle/metrics.ts'
import { parseThresholds, validateThresholds } from '../oracle/thresholds.ts'
import { scenarioSchema } from './schema.ts'
import type { ScenarioConfig } from './types.ts'

export interface LoadedScenario {
  file: string
  name: string
  config: ScenarioConfig
}

export interface ScenarioOverrides {
  agents?: number
  rate?: number
  duration?: string
  seed?: number
  /** `--workers N`: worker threads for the measured phase */
  workers?: number
}

/** Imports a scenario script (TypeScript runs directly on Node 24) and validates it strictly. */
export async function loadScenario(file: string, overrides: ScenarioOverrides = {}): Promise<LoadedScenario> {
  const value = await importDefault(file, 'scenario')
  // A copy, so overrides never change the module's own object; fault plugins (functions) are not
  // cloneable and are shared as they are.
  const { injectors, ...data } = value as ScenarioConfig
  const config = applyOverrides({ ...(structuredClone(data) as ScenarioConfig), ...(injectors === undefined ? {} : { injectors }) }, overrides)
  return { file, name: config.name ?? path.basename(file).replace(/\.[cm]?[jt]s$/, ''), config: validateScenario(config, file) }
}

export function validateScenario(config: unknown, file: string): ScenarioConfig {
  scenarioSchema(config, { file, key: '' })
  const c = config as ScenarioConfig
  if (Object.keys(c.scenarios).length === 0) {
    throw new ScenarioInvalid(`${file}: \`scenarios\` is empty`, { file, key: 'scenarios', hint: 'allowed: at least one named executor, e.g. { workload: { executor: "constant-arrival-rate", ... } }' })
  }
  if (c.attacks) {
    const { unknown } = selectCases(c.attacks.cases)
    if (unknown.length > 0) {
      throw new ScenarioInvalid(`${file}: \`attacks.cases\` names unknown case(s): ${unknown.join(', ')}`, {
        file,
        key: 'attacks.cases',
        hint: `allowed: 'all', ids listed by \`npx gatecrash catalog\`, or a family pattern: ${caseFamilies().join(', ')}`,
      })
    }
  }
  const identityFaults = (c.faults ?? []).filter((f) => f.kind === 'clock-skew' || f.kind === 'key-rotation')
  if ((c.workers ?? 1) > 1 && identityFaults.length > 0) {
    // These faults change identities the main thread holds; worker threads hold their own copies.
    throw new ScenarioInvalid(`${file}: \`workers\` is ${c.workers}, but \`faults\` has a ${identityFaults[0].kind} fault`, {
      file,
      key: 'workers',
      hint: 'clock-skew and key-rotation faults need workers: 1',
    })
  }
  if (c.thresholds) {
    // Fail before anything starts: a typo in a gate must not pass silently after a long run.
    try {
      const parsed = parseThresholds(c.thresholds)
      validateThresholds(parsed, METRIC_TYPES)
      // abortOnFail only where the live metrics can judge it (before the evidence is read)
      abortThresholds(parsed)
    } catch (e) {
      if (!(e instanceof ThresholdInvalid)) throw e
      throw new ScenarioInvalid(`${file}: ${e.message}`, { file, key: 'thresholds', hint: e.hint, cause: e })
    }
  }
  return c
}

function applyOverrides(config: ScenarioConfig, o: ScenarioOverrides): ScenarioConfig {
  if (config === null || typeof config !== 'object') return config
  if (o.seed !== undefined) config.seed = o.seed
  if (o.workers !== undefined) config.workers = o.workers
  if (o.agents !== undefined && config.population) config.population.agents = o.agents
  for (const s of Object.values(config.scenarios ?? {})) {
    // --rate and --duration change the executors that have those options (constant-arrival-rate; constant-vus for duration)
    if (o.rate !== undefined && s.executor === 'constant-arrival-rate') s.rate = o.rate
    if (o.duration !== undefined && (s.executor === 'constant-arrival-rate' || s.executor === 'constant-vus')) s.duration = o.duration
  }
  return config
}
