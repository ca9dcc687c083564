/**
 * What attack cases get before the measured phase: the target, its metadata, the workforce IdP,
 * the provisioned population, and helpers to register fresh identities for cases that destroy or
 * alter one (offboarding, revocation, short-lived tokens) without disturbing the main population.
 */
import type { HttpPools } from '../load/http-pool.ts'
import type { RunIdentity } from '../contracts/identity.ts'
import { createDpopProof } from '../protocol/dpop-proof.ts'
import { clientAssertion, CLIENT_ASSERTION_TYPE } from '../protocol/client-assertion.ts'
import { generateIdentityKey } from '../protocol/identity-key.ts'
import type { IdentityKey } from '../contracts/identity.ts'
import { registerClient, SUBJECT_ACCESS_TOKEN, SUBJECT_JWT, tokenExchange, type AsMetadata, type RegisteredClient } from '../protocol/oauth-client.ts'
import { tokenHash } from '../protocol/token-hash.ts'
import type { Principal } from '../population/spec.ts'
import type { WorkforceIdp } from '../population/workforce-idp.ts'
import type { StartedTarget } from '../contracts/target.ts'
import type { WireRequest } from '../contracts/wire.ts'

export interface CaseKit {
  target: StartedTarget
  meta: AsMetadata
  idp: WorkforceIdp
  principals: Principal[]
  identities: RunIdentity[]
  pools: HttpPools
  log(line: string): void
  /** registers a fresh agent for `principal` and exchanges the principal's assertion for a token */
  freshAgent(principal: Principal, opts?: { scope?: string[]; resource?: string; ttlS?: number }): Promise<FreshIdentity>
  /** registers a fresh sub-agent under `parent` and exchanges the parent's token */
  freshSubAgent(parent: FreshIdentity, scope: string[], opts?: { resource?: string }): Promise<FreshIdentity>
}

export interface FreshIdentity extends RunIdentity {
  registration: RegisteredClient
  /** epoch ms the token expires */
  expiresAt: number
  resource: string
}

export function makeKit(base: Omit<CaseKit, 'freshAgent' | 'freshSubAgent'> & { initialAccessToken: string }): CaseKit {
  const { initialAccessToken, ...rest } = base
  let n = 0
  const register = async (tenant: string, scope: string[], parentClientId?: string) => {
    const key = generateIdentityKey()
    const registration = await registerClient(base.meta, initialAccessToken, { key, tenant, scope, parentClientId, name: `case-${++n}` })
    return { key, registration }
  }
  const kit: CaseKit = {
    ...rest,
    async freshAgent(principal, opts = {}) {
      const scope = opts.scope ?? principal.entitlements
      const resource = opts.resource ?? base.target.resources[0].audience
      const { key, registration } = await register(principal.tenant, scope)
      if (opts.ttlS !== undefined) {
        if (!base.target.admin) throw new TypeError('short-lived tokens need the target admin hook')
        await base.target.admin.setTokenTtl(registration.clientId, opts.ttlS)
      }
      const res = await tokenExchange(base.meta, {
        clientId: registration.clientId,
        key,
        subjectToken: base.idp.assertionFor(principal, base.meta.issuer),
        subjectTokenType: SUBJECT_JWT,
        resource,
        scope,
      })
      return fresh('agent', principal.id, principal.tenant, [registration.clientId], scope, key, registration, res.access_token, res.expires_in, resource)
    },
    async freshSubAgent(parent, scope, opts = {}) {
      const resource = opts.resource ?? parent.resource
      const { key, registration } = await register(parent.tenant, scope, parent.clientId)
      const res = await tokenExchange(base.meta, {
        clientId: registration.clientId,
        key,
        subjectToken: parent.credential.accessToken,
        subjectTokenType: SUBJECT_ACCESS_TOKEN,
        resource,
        scope,
      })
      return fresh('sub-agent', parent.principal, parent.tenant, [registration.clientId, ...parent.actors], scope, key, registration, res.access_token, res.expires_in, resource)
    },
  }
  return kit
}

function fresh(kind: 'agent' | 'sub-agent', principal: string, tenant: string, actors: string[], scope: string[], key: IdentityKey, registration: RegisteredClient, token: string, expiresIn: number | undefined, resource: string): FreshIdentity {
  return {
    ref: `case:${registration.clientId}`,
    kind,
    clientId: registration.clientId,
    tenant,
    principal,
    scope,
    actors,
    credential: { accessToken: token, tokenHash: tokenHash(token), key },
    registration,
    expiresAt: Date.now() + (expiresIn ?? 600) * 1000,
    resource,
  }
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
