/**
 * escalate.revoke.other-client (RFC 7009 §2.1): agent B asks the revocation endpoint to revoke
 * agent A's access token, authenticated as B, and once with no client authentication at all. The AS
 * authenticates the client and verifies the token was issued to it; otherwise the request is
 * refused. One agent must not be able to cut off another.
 *
 * Grading is by effect (judge `side-effect`): RFC 7009 §2.2 answers 200 to an invalid token, and
 * some servers answer 200 to a token that is not the caller's too. So after every attempt the case
 * asks whether A's token still works at a resource server (one ordinary read, off the attempt log):
 * refused there means the revocation happened, whatever the answer was. A 200 that revoked nothing
 * is a warn (§2.1 asks for a refusal); a revocation that happened is accepted.
 *
 * Attribution: B's attempt is B's own act (principal B as an agent, no actor chain, client_id B);
 * the unauthenticated one names nobody.
 */
import { randomBytes } from 'node:crypto'
import type { ExpectedAttribution } from '../../contracts/attempt.ts'
import type { WireRequest } from '../../contracts/wire.ts'
import { clientAssertion, CLIENT_ASSERTION_TYPE } from '../../protocol/client-assertion.ts'
import type { AsMetadata } from '../../protocol/oauth-client.ts'
import type { FreshIdentity } from '../kit.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { readerPrincipal, settingUp, signingKeyWindow, useOnce } from './lifecycle-setup.ts'

export const TOOL_REVOKE = 'token.revoke'

/** RFC 7009 §2.1 form revoking `token`, authenticated as `auth` with private_key_jwt (aud = the issuer), or not at all. */
export function revocationWire(meta: AsMetadata, endpoint: string, token: string, auth: FreshIdentity | null, hint = 'access_token'): WireRequest {
  const url = new URL(endpoint)
  const form = new URLSearchParams({ token, token_type_hint: hint })
  if (auth) {
    form.append('client_id', auth.clientId)
    form.append('client_assertion_type', CLIENT_ASSERTION_TYPE)
    form.append('client_assertion', clientAssertion(auth.key, auth.clientId, meta))
  }
  return { origin: url.origin, method: 'POST', path: url.pathname + url.search, headers: [['content-type', 'application/x-www-form-urlencoded']], body: form.toString() }
}

interface OtherClientRevoke {
  endpoint: string
  victim: FreshIdentity
  attacker: FreshIdentity
  /** true once the victim's token is refused at its resource server: the revocation happened */
  revoked(): Promise<boolean>
}

export const escalateRevokeOtherClient: AttackModule = {
  id: 'escalate.revoke.other-client',
  eligible: () => true,
  async prepare(kit): Promise<OtherClientRevoke> {
    const endpoint = kit.meta.revocation_endpoint
    if (!kit.target.capabilities.revocation || typeof endpoint !== 'string') throw new CaseNotCovered('the target offers no RFC 7009 revocation endpoint')
    const victimOf = readerPrincipal(kit, 0)
    const attackerOf = readerPrincipal(kit, 1)
    const [victim, attacker] = await settingUp('minting a victim agent and an attacker agent', () =>
      signingKeyWindow(async () => [await kit.freshAgent(victimOf.principal, { scope: victimOf.scope }), await kit.freshAgent(attackerOf.principal, { scope: attackerOf.scope })] as const),
    )
    // the probe must see the victim's token served before the attack, or its refusal after proves nothing
    if ((await useOnce(kit, victim)) !== 200) throw new CaseNotCovered(`the fresh victim agent ${victim.clientId}'s token was not served before the attack`)
    const revoked = async (): Promise<boolean> => {
      const status = await useOnce(kit, victim)
      if (status === 200) return false
      if (status === 401) return true
      // a 503 or a transport error says nothing about the token: leave the side effect unknown
      throw new Error(`side-effect probe: the victim's read answered ${status}`)
    }
    return { endpoint, victim, attacker, revoked }
  },
  async fire(env) {
    const p = env.prepared as OtherClientRevoke
    const asAttacker = env.salt % 2 === 0
    const expected: ExpectedAttribution = asAttacker
      ? { principal: { sub: p.attacker.clientId, type: 'agent' }, actors: [], client_id: p.attacker.clientId, tenant: p.attacker.tenant, tool: TOOL_REVOKE, aud: env.meta.issuer }
      : { principal: { sub: null, type: 'anonymous' }, actors: [], client_id: null, tenant: p.victim.tenant, tool: TOOL_REVOKE, aud: env.meta.issuer }
    await env.request(revocationWire(env.meta, p.endpoint, p.victim.accessToken, asAttacker ? p.attacker : null), {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_REVOKE,
      expected,
      tokenHash: p.victim.tokenHash,
      sideEffect: p.revoked,
    })
  },
}

/**
 * lifecycle.revoke-invalid-token (RFC 7009 §2.2), a control: an agent, authenticated, revokes a
 * random string that is no token. The answer is 200, as for a token really revoked: a different
 * answer (400, 404) would let any client probe which token strings the AS issued. The allow record
 * names the agent acting for itself (principal = the agent, no actor chain).
 */
export const lifecycleRevokeInvalidToken: AttackModule = {
  id: 'lifecycle.revoke-invalid-token',
  eligible: () => true,
  async prepare(kit): Promise<{ endpoint: string; agent: FreshIdentity }> {
    const endpoint = kit.meta.revocation_endpoint
    if (!kit.target.capabilities.revocation || typeof endpoint !== 'string') throw new CaseNotCovered('the target offers no RFC 7009 revocation endpoint')
    const { principal, scope } = readerPrincipal(kit, 1)
    const agent = await settingUp('minting an agent to revoke with', () => signingKeyWindow(() => kit.freshAgent(principal, { scope })))
    return { endpoint, agent }
  },
  async fire(env) {
    const p = env.prepared as { endpoint: string; agent: FreshIdentity }
    // shaped like nothing the AS issues: 32 random bytes, fresh per attempt
    const bogus = randomBytes(32).toString('base64url')
    await env.request(revocationWire(env.meta, p.endpoint, bogus, p.agent), {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_REVOKE,
      expected: { principal: { sub: p.agent.clientId, type: 'agent' }, actors: [], client_id: p.agent.clientId, tenant: p.agent.tenant, tool: TOOL_REVOKE, aud: env.meta.issuer },
      tokenHash: null,
    })
  },
}
