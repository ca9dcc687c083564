/**
 * Lifecycle cases answered by the resource servers, set up at the authorization server in prepare():
 * a fresh identity's token is made unusable, then presented at a tool with a valid DPoP proof.
 *
 * - lifecycle.expired-at (RFC 9068 §4; RFC 7519 §4.1.4): tokens issued with a 1 s lifetime (admin
 *   hook), used once the resource server's leeway has passed (exp + 6 s). One of them was used while
 *   valid, so it sits in the resource server's verified-token cache: exp must be checked on every use.
 * - lifecycle.revoked-at (RFC 7009 §2): the client revokes its own token; one revoked token was used
 *   before (cached), one never. `.wrong-hint`: the same with token_type_hint `refresh_token` (§2.1).
 * - lifecycle.retired-key (RFC 8725 §3.8): rotate to K2, mint a token signed with K2 and use it once,
 *   rotate to K3, retire K2. The population's key K1 stays published, so only the case's token dies.
 *
 * Each token is genuine (its signature verified when it was issued), so a correct record names its
 * principal and actor chain; 401 DPoP invalid_token, reason area `token`.
 */
import type { CaseKit, FreshIdentity } from '../kit.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import {
  callWithDeadToken,
  readerPrincipal,
  requireAdmin,
  revokeToken,
  settingUp,
  signingKeyWindow,
  sleep,
  tokenExpiry,
  useOnce,
} from './lifecycle-setup.ts'

/** How long past exp the token is used: the reference resource servers allow 5 s of leeway (RFC 9068 §4 "small"). */
const PAST_LEEWAY_MS = 6_000
/** The longest a run waits for its short-lived tokens to die. */
const MAX_EXPIRY_WAIT_MS = 30_000

const pick = (tokens: readonly FreshIdentity[], salt: number): FreshIdentity => tokens[salt % tokens.length]

/** A fresh agent of the `n`-th reader principal, its token scoped to one read tool. */
function freshReader(kit: CaseKit, n: number, ttlS?: number): Promise<FreshIdentity> {
  const { principal, scope } = readerPrincipal(kit, n)
  return kit.freshAgent(principal, { scope, resource: kit.target.resources[0].audience, ...(ttlS !== undefined ? { ttlS } : {}) })
}

export const lifecycleExpiredAt: AttackModule = {
  id: 'lifecycle.expired-at',
  eligible: () => true,
  async prepare(kit) {
    requireAdmin(kit, 'a token that expires within the run (setTokenTtl)')
    const tokens = await settingUp('minting short-lived tokens', () =>
      signingKeyWindow(async () => {
        const primed = await freshReader(kit, 0, 1)
        await useOnce(kit, primed)
        return [primed, await freshReader(kit, 1, 1)]
      }),
    )
    // Bounded: a token that outlives the lifetime asked for is not waited out but left uncovered
    // (the issued-token lifetime check judges it); one whose exp lies past expires_in is used once
    // expires_in has passed.
    const wait = Math.max(...tokens.map(tokenExpiry)) + PAST_LEEWAY_MS - Date.now()
    if (wait > MAX_EXPIRY_WAIT_MS) throw new CaseNotCovered(`the AS issued tokens living ${Math.round(wait / 1000)} s though a 1 s lifetime was set (setTokenTtl): longer than a run waits (${MAX_EXPIRY_WAIT_MS / 1000} s)`)
    await sleep(wait)
    return tokens
  },
  async fire(env) {
    await callWithDeadToken(env, this.id, pick(env.prepared as FreshIdentity[], env.salt))
  },
}

/** Fresh tokens, one used before (cached at the resource server), each revoked by its client with `hint`. */
async function revokedTokens(kit: CaseKit, hint: 'access_token' | 'refresh_token'): Promise<FreshIdentity[]> {
  if (!kit.target.capabilities.revocation || typeof kit.meta.revocation_endpoint !== 'string') throw new CaseNotCovered('the target offers no RFC 7009 revocation endpoint')
  const tokens = await settingUp('minting tokens to revoke', () => signingKeyWindow(async () => [await freshReader(kit, 0), await freshReader(kit, 1)]))
  await useOnce(kit, tokens[0])
  for (const t of tokens) {
    const status = await revokeToken(kit, t, hint)
    if (status !== 200) throw new CaseNotCovered(`RFC 7009 revocation of a fresh token (token_type_hint ${hint}) answered HTTP ${status}, not 200`)
  }
  return tokens
}

export const lifecycleRevokedAt: AttackModule = {
  id: 'lifecycle.revoked-at',
  eligible: () => true,
  prepare: (kit) => revokedTokens(kit, 'access_token'),
  async fire(env) {
    await callWithDeadToken(env, this.id, pick(env.prepared as FreshIdentity[], env.salt))
  },
}

/**
 * lifecycle.revoked-at.wrong-hint (RFC 7009 §2.1): the same, revoked with token_type_hint
 * `refresh_token`. A server that cannot find the token under the hint must search every type it
 * supports, so the access token is revoked all the same. (A server that only looks where the hint
 * points answers 200, as for an unknown token, and the token lives on.)
 */
export const lifecycleRevokedAtWrongHint: AttackModule = {
  id: 'lifecycle.revoked-at.wrong-hint',
  eligible: () => true,
  prepare: (kit) => revokedTokens(kit, 'refresh_token'),
  async fire(env) {
    await callWithDeadToken(env, this.id, pick(env.prepared as FreshIdentity[], env.salt))
  },
}

export const lifecycleRetiredKey: AttackModule = {
  id: 'lifecycle.retired-key',
  eligible: () => true,
  // A token minted by another case while K2 signs would die with K2: rotate only once they are done.
  exclusive: true,
  async prepare(kit) {
    const admin = requireAdmin(kit, 'signing-key rotation and retirement')
    const token = await settingUp('minting a token with a key to retire', () =>
      signingKeyWindow(async () => {
        const { kid: retiring } = await admin.rotateSigningKey()
        const fresh = await freshReader(kit, 0)
        const kid = kidOf(fresh.credential.accessToken)
        if (kid !== retiring) throw new CaseNotCovered(`after rotating to ${retiring} the AS still signs with ${kid ?? 'no kid'}`)
        await useOnce(kit, fresh)
        await admin.rotateSigningKey()
        await admin.retireSigningKey(retiring)
        return fresh
      }),
    )
    return [token]
  },
  async fire(env) {
    await callWithDeadToken(env, this.id, pick(env.prepared as FreshIdentity[], env.salt))
  },
}

function kidOf(token: string): string | null {
  try {
    const kid = (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as { kid?: unknown }).kid
    return typeof kid === 'string' ? kid : null
  } catch {
    return null
  }
}
