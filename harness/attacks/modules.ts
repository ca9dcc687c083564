import { AUTHORIZATION_SERVER_MODULES } from './as/index.ts'
import { RESOURCE_SERVER_MODULES } from './rs/index.ts'
import type { AttackModule } from './types.ts'

/** Every catalog case with a generator. A catalog case missing here is reported as not-covered. */
export const ATTACK_MODULES: ReadonlyMap<string, AttackModule> = new Map([...RESOURCE_SERVER_MODULES, ...AUTHORIZATION_SERVER_MODULES].map((m) => [m.id, m]))
