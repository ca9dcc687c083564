import type { AttackModule } from '../types.ts'
import { escalateToolScope } from './escalate-tool-scope.ts'
import { replayDpopJtiReuse } from './replay-dpop-jti-reuse.ts'
import { unattributedNoCredential } from './unattributed-no-credential.ts'

/** Generators for the resource-server cases (catalog/resource-server-cases.ts). */
export const RESOURCE_SERVER_MODULES: readonly AttackModule[] = [replayDpopJtiReuse, escalateToolScope, unattributedNoCredential]
