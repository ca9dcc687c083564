import type { AttackModule } from '../types.ts'
import { escalateExchangeTarget } from './escalate-exchange-target.ts'
import { escalateExchangeUpscope } from './escalate-exchange-upscope.ts'
import { escalateMayAct } from './escalate-may-act.ts'
import { escalateUnregisteredGrant } from './escalate-unregistered-grant.ts'
import { lifecycleExpiredAt, lifecycleRetiredKey, lifecycleRevokedAt, lifecycleRevokedAtWrongHint } from './lifecycle-dead-tokens.ts'
import { lifecycleExpiredSubject } from './lifecycle-expired-subject.ts'
import { lifecycleOffboardedOldToken, lifecycleOffboardedTokenRequest } from './lifecycle-offboarded-agent.ts'
import { lifecycleReexchangeWiden } from './lifecycle-reexchange-widen.ts'
import { escalateRegistrationForeignParent, escalateRegistrationUnheldScope } from './registration-beyond-policy.ts'
import { escalateRegistrationOtherClient, lifecycleOffboardedRegistrationRead } from './registration-manage.ts'
import { unattributedRegistrationNoInitialToken } from './registration-unauthorized.ts'
import { replayExchangeLaundering } from './replay-exchange-laundering.ts'
import { escalateRevokeOtherClient, lifecycleRevokeInvalidToken } from './revoke-other-client.ts'
import { unattributedActorSpoof } from './unattributed-actor-spoof.ts'
import { unattributedAnonExchange } from './unattributed-anon-exchange.ts'
import { unattributedClientAssertionExpired, unattributedClientAssertionJtiReuse, unattributedClientAssertionWrongAud } from './unattributed-client-assertion.ts'

/** Generators for the authorization-server cases (catalog/authorization-server-cases.ts), one per case id. */
export const AUTHORIZATION_SERVER_MODULES: readonly AttackModule[] = [
  replayExchangeLaundering,
  escalateExchangeUpscope,
  escalateExchangeTarget,
  escalateMayAct,
  unattributedActorSpoof,
  unattributedAnonExchange,
  unattributedClientAssertionWrongAud,
  unattributedClientAssertionExpired,
  unattributedClientAssertionJtiReuse,
  lifecycleExpiredAt,
  lifecycleRevokedAt,
  lifecycleOffboardedTokenRequest,
  lifecycleOffboardedOldToken,
  lifecycleRetiredKey,
  lifecycleReexchangeWiden,
  lifecycleExpiredSubject,
  escalateRegistrationOtherClient,
  lifecycleOffboardedRegistrationRead,
  escalateRevokeOtherClient,
  lifecycleRevokedAtWrongHint,
  unattributedRegistrationNoInitialToken,
  escalateUnregisteredGrant,
  escalateRegistrationUnheldScope,
  escalateRegistrationForeignParent,
  lifecycleRevokeInvalidToken,
]
