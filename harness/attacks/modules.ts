import { escalateToolScope } from './escalate-tool-scope.ts'
import { replayDpopJtiReuse } from './replay-dpop-jti-reuse.ts'
import type { AttackModule } from './types.ts'
import { unattributedNoCredential } from './unattributed-no-credential.ts'

/** Every catalog case with a generator. A catalog case missing here is reported as not-covered. */
export const ATTACK_MODULES: ReadonlyMap<string, AttackModule> = new Map(
  [replayDpopJtiReuse, escalateToolScope, unattributedNoCredential].map((m) => [m.id, m]),
)
