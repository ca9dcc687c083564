/**
 * Set-up for the lifecycle cases, all in prepare() (before anything is measured): fresh identities
 * whose tokens are then expired, revoked, offboarded or orphaned by a retired signing key, so the
 * main population keeps working. Key rotation touches the whole target, so every prepare() here that
 * mints a token does it inside `signingKeyWindow`: no token is minted with a key that a concurrent
 * prepare() is about to retire.
 */
import { expectedFor, type RunIdentity } from '../../contracts/identity.ts'
import { sendAttempt } from '../../load/send-attempt.ts'
import type { SentAttempt } from '../../contracts/wire.ts'
import { clientAssertion, CLIENT_ASSERTION_TYPE } from '../../protocol/client-assertion.ts'
import { httpRequest } from '../../protocol/http.ts'
import { unverifiedPayload } from '../../protocol/jws.ts'
import { httpClientFor, OAuthError } from '../../protocol/oauth-client.ts'
import { IdentityProvisioningFailed } from '../../population/enroll.ts'
import type { Principal } from '../../population/spec.ts'
import type { ResourceServerInfo, TargetAdmin, ToolSpec } from '../../contracts/target.ts'
import type { CaseKit, FreshIdentity } from '../kit.ts'
import { CaseNotCovered, readableTool, resourceId, type ActionEnv } from '../types.ts'
import { AdminHookMissing } from '../../contracts/errors.ts'

let windowTail: Promise<unknown> = Promise.resolve()

/**
 * Runs `fn` alone among the callers of this function: the retired-key case rotates and retires a
 * signing key inside it, every other prepare() that mints tokens does its minting inside it.
 */
export function signingKeyWindow<T>(fn: () => Promise<T>): Promise<T> {
  const run = windowTail.then(fn, fn)
  windowTail = run.catch(() => undefined)
  return run
}

/**
 * Runs a prepare() step; a target that refuses it (an OAuth error response, also when it refused
 * enrolling a fresh identity) leaves the case not-covered instead of failing the whole run.
 * Anything else is a bug and propagates.
 */
export async function settingUp<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    const refused = e instanceof OAuthError || (e instanceof IdentityProvisioningFailed && e.cause instanceof OAuthError)
    // a hook the target does not offer (a profile without it) cannot set the case up either
    const missing = e instanceof AdminHookMissing || (e instanceof IdentityProvisioningFailed && e.cause instanceof AdminHookMissing)
    if (refused || missing) throw new CaseNotCovered(`${what}: ${(e as Error).message}`, { cause: e })
    throw e
  }
}

export function requireAdmin(kit: CaseKit, why: string): TargetAdmin {
  if (!kit.target.capabilities.adminHooks || !kit.target.admin) throw new CaseNotCovered(`${why} needs the target's admin hooks`)
  return kit.target.admin
}

/** The resource server a fresh identity's token is for. */
export function resourceOf(kit: Pick<CaseKit, 'target'>, fresh: FreshIdentity): ResourceServerInfo {
  return kit.target.resources.find((r) => r.audience === fresh.resource) ?? kit.target.resources[0]
}

/**
 * A principal and one read scope of the first resource server they are entitled to: lifecycle
 * tokens carry only that scope, so every call made with them is a harmless read. The `n`-th such
 * principal, so several fresh identities spread over tenants.
 */
export function readerPrincipal(kit: CaseKit, n = 0): { principal: Principal; scope: string[]; tool: ToolSpec } {
  const rs = kit.target.resources[0]
  const readers = kit.principals.flatMap((p) => {
    const tool = rs.tools.find((t) => !t.writes && p.entitlements.includes(t.scope as Principal['entitlements'][number]))
    return tool ? [{ principal: p, scope: [tool.scope], tool }] : []
  })
  if (readers.length === 0) throw new CaseNotCovered('no principal is entitled to a read tool of the first resource server')
  // spread over tenants: the n-th reader of tenant (n mod tenants)
  const tenants = [...new Set(readers.map((r) => r.principal.tenant))]
  const ofTenant = readers.filter((r) => r.principal.tenant === tenants[n % tenants.length])
  return ofTenant[Math.floor(n / tenants.length) % ofTenant.length]
}

/** A tool the fresh identity may call that only reads. */
export function readToolOf(kit: Pick<CaseKit, 'target'>, fresh: FreshIdentity): ToolSpec {
  const tool = readableTool(fresh, resourceOf(kit, fresh))
  if (!tool) throw new TypeError(`fresh identity ${fresh.clientId} holds no read scope`)
  return tool
}

/**
 * One ordinary tool call with the fresh identity's token, off the attempt log: it puts the token in
 * a resource-server replica's verified-token cache, so a later refusal there shows the target
 * consulted its lifecycle state rather than merely failing a fresh verification. Resolves to the status.
 */
export async function useOnce(kit: CaseKit, fresh: FreshIdentity): Promise<number | null> {
  const rs = resourceOf(kit, fresh)
  const tool = readToolOf(kit, fresh)
  const sent = await sendAttempt(kit.pools, {
    kind: 'legit',
    scenario: 'prepare',
    scheduledAt: Date.now(),
    rs,
    tool,
    tenant: fresh.tenant,
    resourceId: 'prepare_00000',
    credential: fresh.credential,
    expected: expectedFor(fresh, tool, rs),
  })
  const status = sent.record.status
  if (status !== 200) kit.log(`prepare: ${fresh.clientId}'s first call answered ${status ?? sent.record.transport_error}; its token is not cached at the resource server`)
  return status
}

/**
 * RFC 7009 §2.1: the client revokes its own access token, authenticated with private_key_jwt
 * (assertion audience: the issuer, as for every other request of this client, RFC 7523 §3).
 * `hint`: the token_type_hint sent (a wrong one must not stop the revocation, §2.1).
 */
export async function revokeToken(kit: CaseKit, identity: Pick<RunIdentity, 'clientId' | 'credential'>, hint: 'access_token' | 'refresh_token' = 'access_token'): Promise<number> {
  const endpoint = kit.meta.revocation_endpoint
  if (!kit.target.capabilities.revocation || typeof endpoint !== 'string') throw new CaseNotCovered('the target offers no RFC 7009 revocation endpoint')
  const res = await httpRequest(endpoint, {
    client: httpClientFor(kit.meta),
    method: 'POST',
    form: {
      token: identity.credential.accessToken,
      token_type_hint: hint,
      client_id: identity.clientId,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: clientAssertion(identity.credential.key, identity.clientId, kit.meta),
    },
  })
  return res.status
}

/**
 * Epoch ms the fresh identity's token expires: the earlier of its own `exp` and what `expires_in`
 * said (population/enroll.ts expiryOf). `exp` is kept to the millisecond where it is the earlier.
 */
export function tokenExpiry(fresh: FreshIdentity): number {
  const exp = unverifiedPayload(fresh.credential.accessToken)?.exp
  return typeof exp === 'number' ? Math.min(exp * 1000, fresh.expiresAt + 999) : fresh.expiresAt
}

/** The attack: an ordinary read with the (now dead) token of a fresh identity, attributed to its chain. */
export function callWithDeadToken(env: ActionEnv, caseId: string, fresh: FreshIdentity): Promise<SentAttempt> {
  const rs = resourceOf(env, fresh)
  const tool = readToolOf(env, fresh)
  return env.send({
    kind: 'attack',
    caseId,
    rs,
    tool,
    tenant: fresh.tenant,
    resourceId: resourceId(tool.name.split('.')[0], env.salt),
    credential: fresh.credential,
    expected: expectedFor(fresh, tool, rs),
    scheduledAt: env.scheduledAt,
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
}
