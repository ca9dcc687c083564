/**
 * unattributed.client-assertion.* (RFC 7523 §3): an identity's ordinary exchange, authenticated with
 * a private_key_jwt assertion that is wrong in one way. The client is not authenticated, so a
 * correct AS answers invalid_client (401, or 400) and records nobody:
 *
 * - wrong-aud: `aud` names another authorization server: its issuer identifier, or its token
 *   endpoint URL (MUST, §3 item 3). This AS's own issuer identifier and token endpoint URL are lawful
 *   (§3 lets any value identify the AS; draft-ietf-oauth-rfc7523bis recommends the issuer), so
 *   neither is sent here;
 * - aud-issuer-prefix: `aud` is another issuer that begins with ours (our issuer plus a tenant path
 *   below it): caught where the check is a prefix match (MUST, §3 item 3; RFC 3986 §6.2.1);
 * - aud-other-host: `aud` is our token endpoint URL with another host: caught where only the path
 *   is compared (MUST);
 * - aud-array-extra: `aud` is [our issuer, another AS's issuer]: caught where one matching member
 *   is enough (SHOULD: a MUST of draft-ietf-oauth-rfc7523bis-11 §4, the issuer as the sole audience
 *   value, which RFC 7523 §3 as published does not yet require);
 * - aud-other-endpoint: `aud` is our revocation (or registration) endpoint URL (SHOULD: the draft
 *   refuses it, RFC 7523 §3 only named the token endpoint);
 * - expired: `exp` ten minutes in the past, `iat` a minute before it (MUST, §3 item 4);
 * - jti-reuse: the same assertion twice. The first request is an ordinary exchange (graded as
 *   legitimate traffic); the second, with a fresh DPoP proof, is the attack. §3 item 7 lets the AS
 *   keep used jtis, it need not, so acceptance is a warn.
 */
import { clientAssertion, clientAssertionFor } from '../../protocol/client-assertion.ts'
import { tokenRequestWire } from '../kit.ts'
import type { AsMetadata } from '../../protocol/oauth-client.ts'
import { CaseNotCovered, type ActionEnv, type AttackModule } from '../types.ts'
import { ordinaryExchange, populationView, type Exchange, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, trustedSubject, untrustedSubject } from './token-attempt.ts'

/** Sends the carrier's ordinary exchange with `assertion` as its client authentication, as an attack. */
async function sendWithAssertion(env: ActionEnv, caseId: string, assertion: (own: Exchange) => string): Promise<void> {
  const self = env.identity
  const own = await ordinaryExchange(env.prepared as PopulationView, env.meta, self)
  if (!own) return
  await sendTokenAttempt(env, {
    kind: 'attack',
    caseId,
    tool: TOOL_EXCHANGE,
    wire: tokenRequestWire(env.meta, authOf(self), exchangeParams(own, self.clientId), { assertion: assertion(own) }),
    expected: untrustedSubject(env.meta, TOOL_EXCHANGE, null, self.tenant),
  })
}

/**
 * Audiences of another AS on this one's host (another port): a check that compares only the host,
 * or only the path of the token endpoint, lets them through. Picked by the attempt's seeded salt.
 */
export function foreignAudience(meta: Pick<AsMetadata, 'issuer' | 'token_endpoint'>, salt: number): string {
  const other = new URL(meta.issuer)
  other.port = String(((Number(other.port) || (other.protocol === 'https:' ? 443 : 80)) % 65_535) + 1)
  const otherIssuer = meta.issuer.replace(new URL(meta.issuer).origin, other.origin)
  return salt % 2 === 0 ? otherIssuer : `${otherIssuer}${new URL(meta.token_endpoint).pathname}`
}

export const unattributedClientAssertionWrongAud: AttackModule = {
  id: 'unattributed.client-assertion.wrong-aud',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const { clientId, credential } = env.identity
    await sendWithAssertion(env, this.id, () => clientAssertionFor(credential.key, clientId, foreignAudience(env.meta, env.salt)))
  },
}

/** An issuer below ours: `${issuer}/tenant-b`, what a prefix comparison takes for ours. */
export function prefixedIssuer(issuer: string): string {
  return `${issuer}${issuer.endsWith('/') ? '' : '/'}tenant-b`
}

/** Our token endpoint URL, same scheme, port and path, on another host. */
export function otherHostTokenEndpoint(tokenEndpoint: string): string {
  const url = new URL(tokenEndpoint)
  url.hostname = 'as.attacker.example'
  return url.href
}

/** An assertion module whose aud is `aud(meta, salt)`, otherwise the identity's ordinary exchange. */
function audienceCase(id: string, aud: (meta: AsMetadata, salt: number) => string | string[]): AttackModule {
  return {
    id,
    eligible: () => true,
    prepare: async (kit) => populationView(kit),
    async fire(env) {
      const { clientId, credential } = env.identity
      await sendWithAssertion(env, this.id, () => clientAssertionFor(credential.key, clientId, aud(env.meta, env.salt)))
    },
  }
}

export const unattributedClientAssertionAudIssuerPrefix = audienceCase('unattributed.client-assertion.aud-issuer-prefix', (meta) => prefixedIssuer(meta.issuer))
export const unattributedClientAssertionAudOtherHost = audienceCase('unattributed.client-assertion.aud-other-host', (meta) => otherHostTokenEndpoint(meta.token_endpoint))
export const unattributedClientAssertionAudArrayExtra = audienceCase('unattributed.client-assertion.aud-array-extra', (meta, salt) => [meta.issuer, foreignAudience(meta, salt)])

export const unattributedClientAssertionAudOtherEndpoint: AttackModule = {
  ...audienceCase('unattributed.client-assertion.aud-other-endpoint', (meta) => (meta.revocation_endpoint ?? meta.registration_endpoint)!),
  async prepare(kit) {
    if (kit.meta.revocation_endpoint === undefined && kit.meta.registration_endpoint === undefined) {
      throw new CaseNotCovered('the AS metadata names no endpoint besides the token endpoint (revocation_endpoint, registration_endpoint)')
    }
    return populationView(kit)
  },
}

export const unattributedClientAssertionExpired: AttackModule = {
  id: 'unattributed.client-assertion.expired',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const { clientId, credential } = env.identity
    const iat = Math.floor(Date.now() / 1000) - 660
    await sendWithAssertion(env, this.id, () => clientAssertion(credential.key, clientId, env.meta, { iat, ttlS: 60 }))
  },
}

export const unattributedClientAssertionJtiReuse: AttackModule = {
  id: 'unattributed.client-assertion.jti-reuse',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const self = env.identity
    const own = await ordinaryExchange(env.prepared as PopulationView, env.meta, self)
    if (!own) return
    const assertion = clientAssertion(self.credential.key, self.clientId, env.meta)
    const first = await sendTokenAttempt(env, {
      kind: 'legit',
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(self), exchangeParams(own, self.clientId), { assertion }),
      expected: trustedSubject(env.meta, { principal: own.principal, actors: own.actors, clientId: self.clientId, tenant: self.tenant }),
    })
    // Only a reuse of an assertion the AS accepted tests its jti memory.
    if (env.signal.aborted || first.record.status !== 200) return
    await sendWithAssertion(env, this.id, () => assertion)
  },
}
