/**
 * The RFC 7592 client configuration endpoint (`registration_client_uri`) used by someone other than
 * the client it manages. RFC 7592 §2.1: a request whose registration access token is not valid for
 * it is answered with an RFC 6750 §3.1 error (401 `invalid_token`; 403 where the token is valid but
 * lacks permission); §2.3: the same for deletion; a client that no longer exists is 401 and its
 * registration access token should be revoked.
 *
 * - escalate.registration.other-client: agent B reads (GET) and deletes (DELETE) agent A's
 *   registration with B's own registration access token, and with none. One agent must not read
 *   another's registration nor offboard it. A deletion refused on the wire must also not have
 *   happened: the side-effect probe asks whether A can still get a token (a deleted client cannot
 *   authenticate), off the attempt log.
 * - lifecycle.offboarded-agent.registration-read: after A was deleted (with its own token, in
 *   prepare), A's old registration access token reads the registration: 401.
 *
 * The AS cannot tell whose the presented token is without looking it up, and a correct one only
 * compares it with A's: the deny record names nobody (anonymous), `resource.path` names A.
 */
import type { ExpectedAttribution } from '../../contracts/attempt.ts'
import type { WireRequest } from '../../contracts/wire.ts'
import { oauthErrorOf } from '../../protocol/challenge.ts'
import { deleteClient, httpClientFor, tokenEndpointRequest } from '../../protocol/oauth-client.ts'
import type { Principal } from '../../population/spec.ts'
import type { CaseKit, FreshIdentity } from '../kit.ts'
import { CaseNotCovered, tokenEndpointExpected, type AttackModule } from '../types.ts'
import { readerPrincipal, settingUp, signingKeyWindow } from './lifecycle-setup.ts'
import { authOf, clientCredentialsParams, exchangeParams } from './token-attempt.ts'

export const TOOL_CLIENT_READ = 'client.read'
export const TOOL_CLIENT_DELETE = 'client.delete'

type Method = 'GET' | 'DELETE'

function requireManagement(kit: CaseKit): void {
  // the target's RFC 7592 endpoint is what `clientDeletion` states (a profile without it manages clients otherwise)
  if (!kit.target.capabilities.clientDeletion) throw new CaseNotCovered('the target offers no RFC 7592 client configuration endpoint (capabilities.clientDeletion)')
}

function managed(agent: FreshIdentity): { uri: string; token: string } {
  const { registrationClientUri: uri, registrationAccessToken: token } = agent.registration
  if (!uri || !token) throw new CaseNotCovered('registration returned no registration_client_uri / registration_access_token (RFC 7592)')
  return { uri, token }
}

/** GET or DELETE at a registration_client_uri with `token` as the Bearer registration access token (or none). */
export function registrationWire(uri: string, method: Method, token: string | null): WireRequest {
  const url = new URL(uri)
  return { origin: url.origin, method, path: url.pathname + url.search, headers: token === null ? [] : [['authorization', `Bearer ${token}`]] }
}

/** Nobody authenticated for the registration asked about; `tenant` is the victim's, `aud` the AS. */
function nobody(kit: Pick<CaseKit, 'meta'>, method: Method, tenant: string): ExpectedAttribution {
  return tokenEndpointExpected(kit.meta, method === 'GET' ? TOOL_CLIENT_READ : TOOL_CLIENT_DELETE, { principal: null, actors: [], clientId: null, tenant })
}

/**
 * Whether `agent` can still get a token (off the attempt log): true on 200, false when the AS says
 * the client is unknown (invalid_client); anything else (a 503, a transport error) is no answer and
 * throws, so the probe leaves the side effect unknown rather than guessing.
 */
async function stillAuthenticates(kit: CaseKit, agent: FreshIdentity, principal: Principal): Promise<boolean> {
  const params = kit.target.capabilities.tokenExchange
    ? exchangeParams({ subjectToken: await kit.subjects.subjectTokenFor(principal, kit.meta.issuer), subjectTokenType: kit.subjects.tokenType, resource: agent.resource }, agent.clientId, { scope: agent.scope })
    : clientCredentialsParams(agent.clientId, agent.resource, agent.scope)
  const res = await tokenEndpointRequest(kit.meta, authOf(agent), params)
  if (res.status === 200) return true
  if ((res.status === 400 || res.status === 401) && oauthErrorOf(res.headers, res.body) === 'invalid_client') return false
  throw new Error(`side-effect probe: ${agent.clientId}'s token request answered ${res.status}`)
}

interface OtherClient {
  victim: FreshIdentity
  victimUri: string
  attackerToken: string
  /** true once the victim can no longer authenticate: the deletion happened */
  deleted(): Promise<boolean>
}

/** the four attempts, one per salt: B's token or none, read or delete */
const VARIANTS: readonly { method: Method; withToken: boolean }[] = [
  { method: 'DELETE', withToken: true },
  { method: 'GET', withToken: true },
  { method: 'DELETE', withToken: false },
  { method: 'GET', withToken: false },
]

export const escalateRegistrationOtherClient: AttackModule = {
  id: 'escalate.registration.other-client',
  eligible: () => true,
  async prepare(kit): Promise<OtherClient> {
    requireManagement(kit)
    const victimOf = readerPrincipal(kit, 0)
    const attackerOf = readerPrincipal(kit, 1)
    const [victim, attacker] = await settingUp('minting a victim agent and an attacker agent', () =>
      signingKeyWindow(async () => [await kit.freshAgent(victimOf.principal, { scope: victimOf.scope }), await kit.freshAgent(attackerOf.principal, { scope: attackerOf.scope })] as const),
    )
    const { uri: victimUri } = managed(victim)
    const { token: attackerToken } = managed(attacker)
    // the probe must see the victim authenticate before the attack, or it proves nothing after it
    if (!(await stillAuthenticates(kit, victim, victimOf.principal).catch(() => false))) throw new CaseNotCovered(`the fresh victim agent ${victim.clientId} could not get a token before the attack`)
    return { victim, victimUri, attackerToken, deleted: async () => !(await stillAuthenticates(kit, victim, victimOf.principal)) }
  },
  async fire(env) {
    const p = env.prepared as OtherClient
    const v = VARIANTS[env.salt % VARIANTS.length]
    await env.request(registrationWire(p.victimUri, v.method, v.withToken ? p.attackerToken : null), {
      kind: 'attack',
      caseId: this.id,
      tool: v.method === 'GET' ? TOOL_CLIENT_READ : TOOL_CLIENT_DELETE,
      expected: nobody(env, v.method, p.victim.tenant),
      tokenHash: null,
      ...(v.method === 'DELETE' ? { sideEffect: p.deleted } : {}),
    })
  },
}

interface Offboarded {
  agent: FreshIdentity
  uri: string
  token: string
}

export const lifecycleOffboardedRegistrationRead: AttackModule = {
  id: 'lifecycle.offboarded-agent.registration-read',
  eligible: () => true,
  async prepare(kit): Promise<Offboarded> {
    requireManagement(kit)
    const { principal, scope } = readerPrincipal(kit, 2)
    const agent = await settingUp('minting an agent to offboard', () => signingKeyWindow(() => kit.freshAgent(principal, { scope })))
    const { uri, token } = managed(agent)
    const status = await deleteClient(agent.registration, httpClientFor(kit.meta))
    if (status !== 204 && status !== 200) throw new CaseNotCovered(`RFC 7592 deletion of a fresh agent answered HTTP ${status}`)
    kit.log(`offboarded fresh agent ${agent.clientId}`)
    return { agent, uri, token }
  },
  async fire(env) {
    const p = env.prepared as Offboarded
    await env.request(registrationWire(p.uri, 'GET', p.token), {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_CLIENT_READ,
      expected: nobody(env, 'GET', p.agent.tenant),
      tokenHash: null,
    })
  },
}
