import type { AttackModule } from '../types.ts'
import { escalateExchangeScopeEmpty, escalateExchangeScopeOmitted, escalateExchangeScopeUnregistered } from './escalate-exchange-scope.ts'
import {
  unattributedClientAssertionAccessToken,
  unattributedClientAssertionAlgNone,
  unattributedClientAssertionClientIdMismatch,
  unattributedClientAssertionHs256PublicKey,
  unattributedClientAssertionIatOld,
  unattributedClientAssertionIssNotSub,
  unattributedClientAssertionNbfFuture,
  unattributedClientAssertionNoExp,
  unattributedClientAssertionOtherClientKey,
  unattributedClientAssertionUnregisteredKey,
} from './client-assertion-forged.ts'
import { escalateParamPollutionScope, escalateParamPollutionSubjectToken } from './escalate-param-pollution.ts'
import { replayTokenDpopAlgNone, replayTokenDpopMissing, replayTokenDpopOtherMethod, replayTokenDpopOtherUri } from './replay-token-dpop.ts'
import { escalateSubjectTokenAlgNone, escalateSubjectTokenClientAssertion, escalateSubjectTokenNbfFuture, escalateSubjectTokenOtherAud, escalateSubjectTokenUnknownKey } from './escalate-subject-token.ts'
import { escalateClientCredentialsUpscope, unattributedClientCredentialsNoAuth } from './client-credentials.ts'
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
import {
  unattributedClientAssertionAudArrayExtra,
  unattributedClientAssertionAudIssuerPrefix,
  unattributedClientAssertionAudOtherEndpoint,
  unattributedClientAssertionAudOtherHost,
  unattributedClientAssertionExpired,
  unattributedClientAssertionJtiReuse,
  unattributedClientAssertionWrongAud,
} from './unattributed-client-assertion.ts'

/** Generators for the authorization-server cases (catalog/authorization-server-cases.ts), one per case id. */
export const AUTHORIZATION_SERVER_MODULES: readonly AttackModule[] = [
  replayExchangeLaundering,
  escalateExchangeUpscope,
  escalateExchangeScopeOmitted,
  escalateExchangeScopeEmpty,
  escalateExchangeScopeUnregistered,
  escalateExchangeTarget,
  escalateMayAct,
  unattributedActorSpoof,
  unattributedAnonExchange,
  unattributedClientAssertionWrongAud,
  unattributedClientAssertionAudIssuerPrefix,
  unattributedClientAssertionAudOtherHost,
  unattributedClientAssertionAudArrayExtra,
  unattributedClientAssertionAudOtherEndpoint,
  unattributedClientAssertionExpired,
  unattributedClientAssertionJtiReuse,
  lifecycleExpiredAt,
  lifecycleRevokedAt,
  lifecycleOffboardedTokenRequest,
  lifecycleOffboardedOldToken,
  lifecycleRetiredKey,
  lifecycleReexchangeWiden,
  lifecycleExpiredSubject,
  unattributedClientAssertionUnregisteredKey,
  unattributedClientAssertionAlgNone,
  unattributedClientAssertionHs256PublicKey,
  unattributedClientAssertionOtherClientKey,
  unattributedClientAssertionIssNotSub,
  unattributedClientAssertionClientIdMismatch,
  unattributedClientAssertionNoExp,
  unattributedClientAssertionNbfFuture,
  unattributedClientAssertionIatOld,
  escalateSubjectTokenUnknownKey,
  escalateSubjectTokenAlgNone,
  escalateSubjectTokenOtherAud,
  escalateSubjectTokenNbfFuture,
  unattributedClientAssertionAccessToken,
  escalateSubjectTokenClientAssertion,
  replayTokenDpopOtherUri,
  replayTokenDpopOtherMethod,
  replayTokenDpopAlgNone,
  replayTokenDpopMissing,
  escalateParamPollutionSubjectToken,
  escalateParamPollutionScope,
  escalateRegistrationOtherClient,
  lifecycleOffboardedRegistrationRead,
  escalateRevokeOtherClient,
  lifecycleRevokedAtWrongHint,
  unattributedRegistrationNoInitialToken,
  escalateUnregisteredGrant,
  escalateRegistrationUnheldScope,
  escalateRegistrationForeignParent,
  lifecycleRevokeInvalidToken,
  unattributedClientCredentialsNoAuth,
  escalateClientCredentialsUpscope,
]
