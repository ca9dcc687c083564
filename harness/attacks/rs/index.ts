import type { AttackModule } from '../types.ts'
import { escalateClaimTamper } from './escalate-claim-tamper.ts'
import { escalateCrossTenant, escalateCrossTenantWrite } from './escalate-cross-tenant.ts'
import { escalateInternalEndpointAdminRead, escalateInternalEndpointPeerPush } from './escalate-internal-endpoint.ts'
import { escalateLimitAtMax, escalateLimitFarOver, escalateLimitFractionOver, escalateLimitHuge, escalateLimitJustOver, escalateLimitNegative } from './escalate-limit.ts'
import {
  escalateForeignIssuer,
  escalateForgedAlgNone,
  escalateForgedBlankHmac,
  escalateForgedInlineJwk,
  escalateForgedJku,
  escalateForgedKeyConfusion,
  escalateForgedKidTraversal,
  escalateForgedNullSig,
  escalateForgedPsychicSig,
  escalateForgedUnknownKid,
} from './escalate-forged-jwt.ts'
import { escalateNestedAct } from './escalate-nested-act.ts'
import { escalateSubagentPassthrough } from './escalate-subagent-passthrough.ts'
import { escalateToolScope } from './escalate-tool-scope.ts'
import { escalateTypConfusionDpopProof, escalateTypConfusionUserAssertion } from './escalate-typ-confusion.ts'
import { replayCrossAudience } from './replay-cross-audience.ts'
import { replayDpopHtmOtherMethod, replayDpopHtuOtherUri } from './replay-dpop-htu-htm.ts'
import { replayDpopHtuNormaliseDefaultPort, replayDpopHtuNormaliseHostCase, replayDpopHtuNormaliseQuery } from './replay-dpop-htu-normalise.ts'
import { replayDpopIatFuture10s, replayDpopIatFuture1h, replayDpopIatPast1h } from './replay-dpop-iat-window.ts'
import { replayDpopJtiReuse } from './replay-dpop-jti-reuse.ts'
import { replayDpopJtiAfter1s, replayDpopJtiWindowEnd } from './replay-dpop-jti-later.ts'
import {
  replayDpopHtuOtherHost,
  replayDpopHtuOtherPort,
  replayDpopHtuOtherResource,
  replayDpopHtuOtherScheme,
  replayDpopHtuSpoofedForwardedHost,
  replayDpopHtuSpoofedHost,
} from './replay-dpop-htu-origin.ts'
import { replayDpopJtiReuseParallel } from './replay-dpop-jti-reuse-parallel.ts'
import {
  replayDpopMalformedAlgHs256,
  replayDpopMalformedAlgNone,
  replayDpopMalformedBadSignature,
  replayDpopMalformedMissingAth,
  replayDpopMalformedMissingJti,
  replayDpopMalformedNotJwt,
  replayDpopMalformedPrivateJwk,
  replayDpopMalformedTwoHeaders,
  replayDpopMalformedWrongTyp,
} from './replay-dpop-malformed.ts'
import { replayAthSwap, replayBearerDowngrade, replayDpopNoProof, replayDualScheme, replayForeignKey } from './replay-stolen-token.ts'
import { unattributedAgentAsUser } from './unattributed-agent-as-user.ts'
import { unattributedNoCredential } from './unattributed-no-credential.ts'

/** Generators for the resource-server cases (catalog/resource-server-cases.ts), one per case id. */
export const RESOURCE_SERVER_MODULES: readonly AttackModule[] = [
  replayDpopJtiReuse,
  replayDpopJtiReuseParallel,
  replayDpopJtiAfter1s,
  replayDpopJtiWindowEnd,
  replayDpopHtuOtherUri,
  replayDpopHtmOtherMethod,
  replayDpopHtuNormaliseQuery,
  replayDpopHtuNormaliseHostCase,
  replayDpopHtuNormaliseDefaultPort,
  replayDpopHtuOtherHost,
  replayDpopHtuOtherPort,
  replayDpopHtuOtherScheme,
  replayDpopHtuOtherResource,
  replayDpopHtuSpoofedHost,
  replayDpopHtuSpoofedForwardedHost,
  replayDpopIatFuture10s,
  replayDpopIatPast1h,
  replayDpopIatFuture1h,
  replayDpopMalformedTwoHeaders,
  replayDpopMalformedNotJwt,
  replayDpopMalformedMissingJti,
  replayDpopMalformedMissingAth,
  replayDpopMalformedWrongTyp,
  replayDpopMalformedAlgNone,
  replayDpopMalformedAlgHs256,
  replayDpopMalformedBadSignature,
  replayDpopMalformedPrivateJwk,
  replayDpopNoProof,
  replayBearerDowngrade,
  replayDualScheme,
  replayForeignKey,
  replayAthSwap,
  replayCrossAudience,
  escalateToolScope,
  escalateNestedAct,
  escalateCrossTenant,
  escalateCrossTenantWrite,
  escalateLimitJustOver,
  escalateLimitFractionOver,
  escalateLimitFarOver,
  escalateLimitHuge,
  escalateLimitNegative,
  escalateLimitAtMax,
  escalateInternalEndpointAdminRead,
  escalateInternalEndpointPeerPush,
  escalateForgedAlgNone,
  escalateForgedNullSig,
  escalateForgedBlankHmac,
  escalateForgedPsychicSig,
  escalateForgedKeyConfusion,
  escalateForgedInlineJwk,
  escalateForgedJku,
  escalateForgedKidTraversal,
  escalateForgedUnknownKid,
  escalateClaimTamper,
  escalateTypConfusionDpopProof,
  escalateTypConfusionUserAssertion,
  escalateForeignIssuer,
  escalateSubagentPassthrough,
  unattributedNoCredential,
  unattributedAgentAsUser,
]
