/**
 * One enrollment path (population/enroll.ts) for the run's population (provision) and for the
 * identities attack cases make for themselves (attacks/kit.ts freshAgent / freshSubAgent): for the
 * same principal and scope both send the same registration metadata and the same exchange, and
 * yield the same class with the same expiry rule and the same typed failures.
 */
import { decodeJwt } from 'jose'
import { describe, expect, test } from 'vitest'
import { CaseNotCovered } from '../../../harness/attacks/types.ts'
import { makeKit } from '../../../harness/attacks/kit.ts'
import { settingUp } from '../../../harness/attacks/as/lifecycle-setup.ts'
import type { StartedTarget, TargetAdmin } from '../../../harness/contracts/target.ts'
import type { HttpPools } from '../../../harness/load/http-pool.ts'
import { IdentityProvisioningFailed, ProvisionedIdentity } from '../../../harness/population/enroll.ts'
import { buildPopulation } from '../../../harness/population/generate.ts'
import { provision } from '../../../harness/population/provision.ts'
import type { Population } from '../../../harness/population/spec.ts'
import { discover } from '../../../harness/protocol/oauth-client.ts'
import { idpSubjectTokens, type WorkforceIdp } from '../../../harness/population/workforce-idp.ts'
import { IAT, RESOURCE, registrationFor, useFakeAs, type TokenCall } from './fake-as.ts'
import { SCOPES } from './scopes.ts'

const startAs = useFakeAs()

async function setup(opts: Parameters<typeof startAs>[0] = {}) {
  const { idp, as } = await startAs(opts)
  // seed 12 gives agent a1 a sub-agent a1.1
  const pop = buildPopulation({ tenants: 1, agents: 2, subAgentsPerAgent: 1, depth: 2 }, 12, SCOPES)
  return { idp, as, pop, principal: pop.principals.find((p) => p.id === pop.agents[0].principal)! }
}

async function kitFor(issuer: string, idp: WorkforceIdp, pop: Population, opts: { admin?: Pick<TargetAdmin, 'setTokenTtl'>; initialAccessToken?: string } = {}) {
  // the target as the kit sees it: its first resource server is where provisioning points tokens (provision-phase.ts)
  const target = { resources: [{ audience: RESOURCE }], admin: opts.admin } as unknown as StartedTarget
  return makeKit({ target, meta: await discover(issuer), idp, subjects: idpSubjectTokens(idp), principals: pop.principals, identities: [], pools: {} as HttpPools, log: () => {}, registration: registrationFor(opts.initialAccessToken ?? IAT) })
}

/** the act chain of a token, outermost (current actor) first */
function actChain(token: string): string[] {
  const chain: string[] = []
  for (let a = (decodeJwt(token) as { act?: { sub: string; act?: unknown } }).act; a; a = a.act as typeof a) chain.push(a.sub)
  return chain
}

describe('provisioning and the case kit enroll the same way', () => {
  test('same registration metadata, same exchange (subject token type, resource, scope), same actor chain, same class and expiry rule', async () => {
    // expires_in disagrees with the token's exp (now + 300 s): the rule is the token's own exp
    const { idp, as, pop, principal } = await setup({ expiresIn: 3600 })
    const prov = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp) })
    const [agent, sub] = [prov.byRef.get('a1')!, prov.byRef.get('a1.1')!]
    const kit = await kitFor(as.issuer, idp, pop)
    const freshAgent = await kit.freshAgent(principal, { scope: agent.scope })
    const freshSub = await kit.freshSubAgent(freshAgent, sub.scope)

    const registrationOf = (id: ProvisionedIdentity) => as.registrations.find((r) => r.body.client_name === `gatecrash ${id.ref}`)!.body
    const exchangeOf = (id: ProvisionedIdentity) => as.tokenCalls.find((c) => c.form.client_id === id.clientId && c.status === 200)!
    const exchanged = (c: TokenCall) => ({ grant_type: c.form.grant_type, subject_token_type: c.form.subject_token_type, resource: c.form.resource, scope: c.form.scope })
    const metadata = ({ client_name: _n, jwks: _k, parent_client_id: _p, ...rest }: Record<string, unknown>) => rest

    for (const [made, fresh] of [[agent, freshAgent], [sub, freshSub]] as const) {
      const where = `${made.ref} vs ${fresh.ref}`
      expect(fresh, where).toBeInstanceOf(ProvisionedIdentity)
      expect(made, where).toBeInstanceOf(ProvisionedIdentity)
      // RFC 7591: the same metadata but for the name, each its own key, each linked to its own parent
      expect(metadata(registrationOf(fresh)), where).toEqual(metadata(registrationOf(made)))
      for (const id of [made, fresh]) {
        expect(registrationOf(id).jwks, where).toEqual({ keys: [{ ...id.key.publicJwk, kid: id.key.kid, alg: 'ES256', use: 'sig' }] })
        expect(registrationOf(id).parent_client_id, where).toBe(id.parent?.clientId)
      }
      // RFC 8693: the same parameters; the subject is the principal's assertion or the own parent's token
      expect(exchanged(exchangeOf(fresh)), where).toEqual(exchanged(exchangeOf(made)))
      expect(exchanged(exchangeOf(fresh)).resource, where).toBe(RESOURCE)
      for (const id of [made, fresh]) {
        const call = exchangeOf(id)
        expect(call.subject!.sub, where).toBe(principal.id)
        if (id.parent) expect(call.form.subject_token, where).toBe(id.parent.accessToken)
        // the actor chain: itself, then its parent's chain, and the token says so
        expect(id.actors, where).toEqual([id.clientId, ...(id.parent?.actors ?? [])])
        expect(actChain(id.accessToken), where).toEqual(id.actors)
        // expiry: the token's own exp, not expires_in
        expect(id.expiresAt, where).toBe((decodeJwt(id.accessToken).exp as number) * 1000)
      }
      expect(fresh.actors.length, where).toBe(made.actors.length)
      for (const k of ['kind', 'depth', 'tenant', 'principal', 'resource'] as const) expect(fresh[k], `${where}: ${k}`).toBe(made[k])
      // interned: the very same frozen arrays
      expect(fresh.scope, where).toBe(made.scope)
      expect(fresh.grantedScope, where).toBe(made.grantedScope)
    }
  })

  test('a refused exchange fails alike: IdentityProvisioningFailed naming the identity, the step, the OAuth error and a hint', async () => {
    const refused = (name: string) => name === 'gatecrash a1' || name.startsWith('gatecrash case-')
    const { idp, as, pop, principal } = await setup({ refuseExchange: (name) => (refused(name) ? 'invalid_grant' : null) })
    const byProvisioning = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp), concurrency: 1 }).catch((e: unknown) => e)
    const kit = await kitFor(as.issuer, idp, pop)
    const byKit = await kit.freshAgent(principal).catch((e: unknown) => e)
    for (const [err, ref] of [[byProvisioning, 'a1'], [byKit, 'case-1']] as const) {
      expect(err).toBeInstanceOf(IdentityProvisioningFailed)
      expect(err).toMatchObject({ code: 'ERR_PROVISIONING', ref, step: 'exchange', status: 400, oauthError: 'invalid_grant', cause: { code: 'ERR_OAUTH_RESPONSE' } })
      expect((err as IdentityProvisioningFailed).hint).toContain('workforce IdP')
      expect((err as IdentityProvisioningFailed).registered.length).toBeGreaterThanOrEqual(1)
    }
    // a case's set-up that the target refuses leaves the case not-covered, as a bare OAuth error did
    await expect(settingUp('minting', () => kit.freshAgent(principal))).rejects.toBeInstanceOf(CaseNotCovered)
  })

  test('a refused registration on the kit path names the register step', async () => {
    const { idp, as, pop, principal } = await setup()
    const kit = await kitFor(as.issuer, idp, pop, { initialAccessToken: 'wrong' })
    const err = await kit.freshAgent(principal).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_PROVISIONING', ref: 'case-1', step: 'register', status: 401, oauthError: 'invalid_token' })
    expect((err as Error).message).not.toContain('wrong')
  })

  test('a per-client token lifetime goes through the admin hook after registration, before the exchange', async () => {
    const { idp, as, pop, principal } = await setup()
    const calls: unknown[] = []
    const admin = {
      async setTokenTtl(clientId: string, ttlS: number) {
        calls.push({ clientId, ttlS, registered: as.registrations.length, exchanges: as.tokenCalls.length })
      },
    }
    const fresh = await (await kitFor(as.issuer, idp, pop, { admin })).freshAgent(principal, { ttlS: 1 })
    expect(calls).toEqual([{ clientId: fresh.clientId, ttlS: 1, registered: 1, exchanges: 0 }])
    expect(as.tokenCalls).toHaveLength(1)

    const broken = { setTokenTtl: () => Promise.reject(new Error('admin hook down')) }
    const err = await (await kitFor(as.issuer, idp, pop, { admin: broken })).freshAgent(principal, { ttlS: 1 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_PROVISIONING', step: 'token-ttl', status: null })
    expect((err as IdentityProvisioningFailed).hint).toContain('setTokenTtl')
    await expect((await kitFor(as.issuer, idp, pop)).freshAgent(principal, { ttlS: 1 })).rejects.toThrow(TypeError)
  })
})
