/**
 * What attack cases get before the measured phase: the target, its metadata, the subject-token
 * source and the workforce IdP,
 * the provisioned population, and helpers to register fresh identities for cases that destroy or
 * alter one (offboarding, revocation, short-lived tokens) without disturbing the main population.
 */
import type { HttpPools } from '../load/http-pool.ts'
import type { RunIdentity } from '../contracts/identity.ts'
import { createDpopProof } from '../protocol/dpop-proof.ts'
import { clientAssertion, CLIENT_ASSERTION_TYPE } from '../protocol/client-assertion.ts'
import type { IdentityKey } from '../contracts/identity.ts'
import type { AsMetadata } from '../protocol/oauth-client.ts'
import { enroll, type ProvisionedIdentity } from '../population/enroll.ts'
import type { Principal } from '../population/spec.ts'
import type { WorkforceIdp } from '../population/workforce-idp.ts'
import type { RegistrationPolicy, StartedTarget, SubjectTokenSource } from '../contracts/target.ts'
import type { IssuedTokenObserver } from '../contracts/issued-token.ts'
import type { WireRequest } from '../contracts/wire.ts'

export interface CaseKit {
  target: StartedTarget
  meta: AsMetadata
  /** signs subject tokens a case crafts; the target trusts it only where `target.capabilities.harnessIdp` */
  idp: WorkforceIdp
  /** agents' ordinary subject tokens, as provisioning got them */
  subjects: SubjectTokenSource
  principals: Principal[]
  identities: RunIdentity[]
  pools: HttpPools
  log(line: string): void
  /** registers a fresh agent for `principal` and exchanges the principal's assertion for a token */
  freshAgent(principal: Principal, opts?: { scope?: string[]; resource?: string; ttlS?: number; grantTypes?: string[] }): Promise<FreshIdentity>
  /** registers a fresh sub-agent under `parent` and exchanges the parent's token */
  freshSubAgent(parent: FreshIdentity, scope: string[], opts?: { resource?: string }): Promise<FreshIdentity>
  /** how the target registers clients (its initial access token, extra members), as provisioning used it */
  readonly registration: RegistrationPolicy
  /** every identity the kit enrolled, for RFC 7592 cleanup after the run */
  readonly enrolled: readonly FreshIdentity[]
  /** told of every token received outside provisioning (the issued-token checks) */
  readonly observe?: IssuedTokenObserver
  /** the same kit, its enrollments reported as the set-up of case `id` */
  forCase(id: string): CaseKit
}

/**
 * An identity a case enrolled for itself, outside the run's population (not in `identities`), so
 * the case may destroy it (offboard, revoke, let expire). It is made exactly as the population's
 * are (population/enroll.ts), so it is the same class; the name only says where it came from.
 */
export type FreshIdentity = ProvisionedIdentity

export function makeKit(base: Omit<CaseKit, 'freshAgent' | 'freshSubAgent' | 'enrolled' | 'forCase'>): CaseKit {
  const { registration, ...rest } = base
  let n = 0
  const enrolled: FreshIdentity[] = []
  const keep = (i: FreshIdentity): FreshIdentity => (enrolled.push(i), i)
  const view = (source: string): CaseKit => {
    const as = { meta: base.meta, subjects: base.subjects, registration, observe: base.observe, source }
    return {
      ...rest,
      registration,
      enrolled,
      forCase: view,
      async freshAgent(principal, opts = {}) {
        const admin = base.target.admin
        if (opts.ttlS !== undefined && !admin) throw new TypeError('short-lived tokens need the target admin hook')
        return keep(await enroll(as, {
          ref: `case-${++n}`,
          principal,
          scope: opts.scope ?? principal.entitlements,
          resource: opts.resource ?? base.target.resources[0].audience,
          tokenTtl: opts.ttlS === undefined ? undefined : { seconds: opts.ttlS, admin: admin! },
          ...(opts.grantTypes !== undefined ? { grantTypes: opts.grantTypes } : {}),
        }))
      },
      async freshSubAgent(parent, scope, opts = {}) {
        return keep(await enroll(as, { ref: `case-${++n}`, parent, scope, resource: opts.resource ?? parent.resource }))
      },
    }
  }
  return view('attack set-up')
}

/**
 * A token-endpoint request as it goes on the wire, with each part overridable so attack cases can
 * omit or falsify one thing at a time (no client assertion, an assertion for the wrong audience…).
 */
export function tokenRequestWire(
  meta: AsMetadata,
  auth: { clientId: string; key: IdentityKey } | null,
  params: Record<string, string | undefined>,
  overrides: { assertion?: string | null; proof?: string | null } = {},
): WireRequest {
  const url = new URL(meta.token_endpoint)
  const form = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.append(k, v)
  if (auth) {
    const assertion = overrides.assertion === undefined ? clientAssertion(auth.key, auth.clientId, meta) : overrides.assertion
    if (assertion !== null) {
      form.append('client_assertion_type', CLIENT_ASSERTION_TYPE)
      form.append('client_assertion', assertion)
    }
  }
  const headers: [string, string][] = [['content-type', 'application/x-www-form-urlencoded']]
  const proof = overrides.proof === undefined ? (auth ? createDpopProof(auth.key, { htm: 'POST', htu: meta.token_endpoint }).proof : null) : overrides.proof
  if (proof !== null) headers.push(['dpop', proof])
  return { origin: url.origin, method: 'POST', path: url.pathname + url.search, headers, body: form.toString() }
}
