/**
 * Registration beyond policy (target contract R-GC-reg-1): with a valid initial access token (where
 * the policy needs one), a registration asks for more than the AS's policy gives that registrant.
 * - escalate.registration.unheld-scope: its principal's read scope plus `admin:all`, a scope no
 *   agent holds and no tool uses.
 * - escalate.registration.foreign-parent: `parent_client_id` naming an agent of another tenant
 *   (where the registration policy expresses a parent at all: its members for a sub-agent differ
 *   from an agent's; otherwise not covered).
 * A correct AS refuses (400 `invalid_client_metadata`, RFC 7591 §3.2.2), or registers the client
 * without granting what was asked (RFC 7591 §2 lets it replace requested metadata). So both are
 * judged by effect (judge `side-effect`): after a registration the AS accepted, the new client asks
 * for a token with `admin:all`, or exchanges the foreign agent's token as its sub-agent (off the
 * attempt log); a token with `admin:all`, or any token by exchange of the other tenant's agent's
 * token, is the breach. A registration accepted but granting nothing is a warn. The client is then
 * deleted again (RFC 7592), so the run leaves no stray agent behind.
 */
import type { ExpectedAttribution } from '../../contracts/attempt.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import type { SentRequest, WireRequest } from '../../contracts/wire.ts'
import { generateIdentityKey } from '../../protocol/identity-key.ts'
import { unverifiedPayload } from '../../protocol/jws.ts'
import { deleteClient, httpClientFor, registrationMetadata, SUBJECT_ACCESS_TOKEN, tokenEndpointRequest, type AsMetadata } from '../../protocol/oauth-client.ts'
import type { IdentityKey } from '../../contracts/identity.ts'
import type { CaseKit } from '../kit.ts'
import { CaseNotCovered, tokenEndpointExpected, type ActionEnv, type AttackModule } from '../types.ts'
import { readerPrincipal } from './lifecycle-setup.ts'
import { clientCredentialsParams, exchangeParams } from './token-attempt.ts'

export const TOOL_REGISTER = 'client.register'

interface Variant {
  kind: 'scope' | 'parent'
  scope: string[]
  members: Record<string, unknown>
  /** given the new client's id and key: does it hold what it must not (the probe, off the log)? */
  gained(clientId: string, key: IdentityKey): Promise<boolean>
}

interface BeyondPolicy {
  endpoint: string
  initialAccessToken: string | undefined
  tenant: string
  variant: Variant
}

const scopeOf = (token: unknown): string[] => {
  const s = typeof token === 'string' ? unverifiedPayload(token)?.scope : undefined
  return typeof s === 'string' ? s.split(' ') : []
}

/** A scope name no principal is entitled to and no tool of the target uses. */
function unheldScope(kit: CaseKit): string {
  const used = new Set([...kit.principals.flatMap((p) => p.entitlements as string[]), ...kit.target.resources.flatMap((r) => r.tools.map((t) => t.scope))])
  for (let i = 0; i < 10; i++) {
    const name = i === 0 ? 'admin:all' : `admin:all${i}`
    if (!used.has(name)) return name
  }
  throw new CaseNotCovered('every admin:all name is a scope of the target')
}

function registrationWire(endpoint: string, body: string, bearer: string | undefined): WireRequest {
  const url = new URL(endpoint)
  const headers: [string, string][] = [['content-type', 'application/json']]
  if (bearer !== undefined) headers.push(['authorization', `Bearer ${bearer}`])
  return { origin: url.origin, method: 'POST', path: url.pathname + url.search, headers, body }
}

/** The token the probe got, or null when the AS refused it (any refusal: nothing was gained). */
async function probeToken(meta: AsMetadata, clientId: string, key: IdentityKey, params: Record<string, string | undefined>): Promise<unknown> {
  const res = await tokenEndpointRequest(meta, { clientId, key }, params)
  if (res.status >= 500) throw new Error(`side-effect probe: the token endpoint answered ${res.status}`)
  return res.status === 200 ? (res.body as { access_token?: unknown } | null)?.access_token ?? null : null
}

/** What both cases share: where and how to register, for which tenant, and the variants this target allows. */
function setUp(kit: CaseKit): BeyondPolicy & { scopeVariant: Variant; parentVariant: Variant | string } {
  const endpoint = kit.meta.registration_endpoint
  if (!kit.target.capabilities.registration || typeof endpoint !== 'string' || kit.registration.preRegistered) {
    throw new CaseNotCovered('the target offers no dynamic registration (RFC 7591): nothing to register beyond its policy')
  }
  const { principal, scope } = readerPrincipal(kit, 0)
  const tenant = principal.tenant
  const rs = kit.target.resources[0]
  const extra = unheldScope(kit)
  const scopeVariant: Variant = {
    kind: 'scope',
    scope: [...scope, extra],
    members: kit.registration.members({ tenant }),
    async gained(clientId, key) {
      // client credentials where offered, else an exchange of the principal's assertion; either asks for the extra scope
      const params = kit.target.capabilities.clientCredentials
        ? clientCredentialsParams(clientId, rs.audience, [...scope, extra])
        : exchangeParams({ subjectToken: await kit.subjects.subjectTokenFor(principal, kit.meta.issuer), subjectTokenType: kit.subjects.tokenType, resource: rs.audience }, clientId, { scope: [...scope, extra] })
      return scopeOf(await probeToken(kit.meta, clientId, key, params)).includes(extra)
    },
  }
  const foreign: RunIdentity | undefined = kit.identities.find((i) => i.kind === 'agent' && i.tenant !== tenant)
  const asChild = foreign ? kit.registration.members({ tenant, parentClientId: foreign.clientId }) : undefined
  let parentVariant: Variant | string
  if (!foreign || asChild === undefined) parentVariant = 'the population has no agent of another tenant'
  else if (JSON.stringify(asChild) === JSON.stringify(kit.registration.members({ tenant }))) parentVariant = 'the target\'s registration policy expresses no parent (its members are the same for a sub-agent)'
  else if (!kit.target.capabilities.tokenExchange) parentVariant = 'the target offers no token exchange: a parent link gives nothing to probe'
  else {
    const readScope = foreign.scope.find((s) => rs.tools.some((t) => !t.writes && t.scope === s)) ?? foreign.scope[0]
    parentVariant = {
      kind: 'parent',
      scope: [readScope],
      members: asChild,
      async gained(clientId, key) {
        // as its sub-agent, the new client exchanges the other tenant's agent's current token
        const params = exchangeParams({ subjectToken: foreign.credential.accessToken, subjectTokenType: SUBJECT_ACCESS_TOKEN, resource: rs.audience }, clientId, { scope: [readScope] })
        return (await probeToken(kit.meta, clientId, key, params)) !== null
      },
    }
  }
  return { endpoint, initialAccessToken: kit.registration.initialAccessToken(tenant), tenant, variant: scopeVariant, scopeVariant, parentVariant }
}

/** Registers as `p.variant` says, a fresh key each time; the side-effect probe is the variant's, then the client is deleted. */
async function fireRegistration(env: ActionEnv, caseId: string, p: BeyondPolicy): Promise<void> {
  const v = p.variant
  const key = generateIdentityKey()
  const body = JSON.stringify(registrationMetadata({ key, scope: v.scope, name: `gatecrash beyond-policy ${v.kind}`, members: v.members }))
  const expected: ExpectedAttribution = tokenEndpointExpected(env.meta, TOOL_REGISTER, { principal: null, actors: [], clientId: null, tenant: p.tenant })
  await env.request(registrationWire(p.endpoint, body, p.initialAccessToken), {
    kind: 'attack',
    caseId,
    tool: TOOL_REGISTER,
    expected,
    tokenHash: null,
    sideEffect: async (sent: SentRequest) => {
      const made = sent.json as { client_id?: unknown; registration_client_uri?: unknown; registration_access_token?: unknown } | null
      const status = sent.record.status ?? 0
      if (status < 200 || status > 299 || typeof made?.client_id !== 'string') throw new Error('nothing registered: no client to probe')
      try {
        return await v.gained(made.client_id, key)
      } finally {
        // one request, whatever it answers: the case's own client goes again
        if (typeof made.registration_client_uri === 'string' && typeof made.registration_access_token === 'string') {
          await deleteClient({ clientId: made.client_id, registrationClientUri: made.registration_client_uri, registrationAccessToken: made.registration_access_token }, httpClientFor(env.meta)).catch(() => undefined)
        }
      }
    },
  })
}

export const escalateRegistrationUnheldScope: AttackModule = {
  id: 'escalate.registration.unheld-scope',
  eligible: () => true,
  async prepare(kit): Promise<BeyondPolicy> {
    const { endpoint, initialAccessToken, tenant, scopeVariant } = setUp(kit)
    return { endpoint, initialAccessToken, tenant, variant: scopeVariant }
  },
  fire(env) {
    return fireRegistration(env, this.id, env.prepared as BeyondPolicy)
  },
}

export const escalateRegistrationForeignParent: AttackModule = {
  id: 'escalate.registration.foreign-parent',
  eligible: () => true,
  async prepare(kit): Promise<BeyondPolicy> {
    const { endpoint, initialAccessToken, tenant, parentVariant } = setUp(kit)
    if (typeof parentVariant === 'string') throw new CaseNotCovered(parentVariant)
    return { endpoint, initialAccessToken, tenant, variant: parentVariant }
  },
  fire(env) {
    return fireRegistration(env, this.id, env.prepared as BeyondPolicy)
  },
}
