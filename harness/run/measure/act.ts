/** What one routed iteration does, the same in the main thread and in a worker. */
import { ATTACK_MODULES } from '../../attacks/modules.ts'
import { makeActionEnv, type EnvInput } from './action-env.ts'
import { workflowStep } from './workflow.ts'
import type { Route } from './route.ts'

export async function act(route: Route, env: Omit<EnvInput, 'salt' | 'prepared'>, prepared: ReadonlyMap<string, unknown>): Promise<void> {
  const attack = route.kind === 'attack' ? ATTACK_MODULES.get(route.caseId!) : undefined
  const e = makeActionEnv({ ...env, salt: route.salt, prepared: attack ? prepared.get(attack.id) : undefined })
  await (attack ? attack.fire(e) : workflowStep(e))
}
