/**
 * unattributed.registration.no-initial-token (target contract R-GC-reg-2; RFC 7591 §3, RFC 6750
 * §3.1): where the target's registration policy needs an initial access token, `POST /register`
 * without one, and with a made-up one, registers nothing. Anyone who can reach the endpoint would
 * otherwise mint agents at will. The body is a well-formed registration, exactly as provisioning
 * sends it (a fresh key, a read scope, the policy's members for the tenant), so only the missing
 * authorization can be the reason for a refusal.
 *
 * A target with open registration (its policy names no initial access token) has nothing to test:
 * registering without a token is its stated policy (RFC 7591 §3 leaves it to the AS), and the case
 * is not covered, with that reason. So is an AS without dynamic registration.
 *
 * A flawed target that registers the client anyway gets it deleted again (RFC 7592, off the
 * attempt log), so the run leaves no stray agent behind.
 */
import { randomBytes } from 'node:crypto'
import type { WireRequest } from '../../contracts/wire.ts'
import { generateIdentityKey } from '../../protocol/identity-key.ts'
import { deleteClient, httpClientFor, registrationMetadata } from '../../protocol/oauth-client.ts'
import { CaseNotCovered, tokenEndpointExpected, type AttackModule } from '../types.ts'
import { readerPrincipal } from './lifecycle-setup.ts'

export const TOOL_REGISTER = 'client.register'

interface Unauthorized {
  endpoint: string
  tenant: string
  body: string
}

function registrationWire(endpoint: string, body: string, bearer: string | null): WireRequest {
  const url = new URL(endpoint)
  const headers: [string, string][] = [['content-type', 'application/json']]
  if (bearer !== null) headers.push(['authorization', `Bearer ${bearer}`])
  return { origin: url.origin, method: 'POST', path: url.pathname + url.search, headers, body }
}

export const unattributedRegistrationNoInitialToken: AttackModule = {
  id: 'unattributed.registration.no-initial-token',
  eligible: () => true,
  async prepare(kit): Promise<Unauthorized> {
    const endpoint = kit.meta.registration_endpoint
    if (!kit.target.capabilities.registration || typeof endpoint !== 'string' || kit.registration.preRegistered) {
      throw new CaseNotCovered('the target offers no dynamic registration (RFC 7591): there is no registration to make without authorization')
    }
    const { principal, scope } = readerPrincipal(kit, 0)
    if (kit.registration.initialAccessToken(principal.tenant) === undefined) {
      throw new CaseNotCovered('open registration: the target\'s registration policy names no initial access token, so registering without one is its stated policy (RFC 7591 §3)')
    }
    const body = JSON.stringify(registrationMetadata({
      key: generateIdentityKey(),
      scope,
      name: 'gatecrash unauthorized registration',
      members: kit.registration.members({ tenant: principal.tenant }),
    }))
    return { endpoint, tenant: principal.tenant, body }
  },
  async fire(env) {
    const p = env.prepared as Unauthorized
    // even salts: no Authorization at all; odd: a made-up initial access token (fresh each time)
    const bearer = env.salt % 2 === 0 ? null : randomBytes(32).toString('base64url')
    const sent = await env.request(registrationWire(p.endpoint, p.body, bearer), {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_REGISTER,
      expected: tokenEndpointExpected(env.meta, TOOL_REGISTER, { principal: null, actors: [], clientId: null, tenant: p.tenant }),
      tokenHash: null,
    })
    const made = sent.json as { client_id?: unknown; registration_client_uri?: unknown; registration_access_token?: unknown } | null
    if (sent.record.status === 201 && typeof made?.client_id === 'string' && typeof made.registration_client_uri === 'string' && typeof made.registration_access_token === 'string') {
      // the breach is graded already; remove the agent it made (one request, its outcome does not matter)
      await deleteClient({ clientId: made.client_id, registrationClientUri: made.registration_client_uri, registrationAccessToken: made.registration_access_token }, httpClientFor(env.meta)).catch(() => undefined)
    }
  },
}
