import { EmbeddedJWK, createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { describe, expect, test } from 'vitest'
import { buildPopulation } from '../../../harness/population/generate.ts'
import { deprovision, provision, refreshIdentity } from '../../../harness/population/provision.ts'
import type { ProvisionedIdentity } from '../../../harness/population/enroll.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'
import { idpSubjectTokens } from '../../../harness/population/workforce-idp.ts'
import { IAT, RESOURCE, registrationFor, useFakeAs } from './fake-as.ts'
import { SCOPES } from './scopes.ts'

const setup = useFakeAs()

describe('RFC 7591 + RFC 8693 provisioning (fake AS)', () => {
  test('agents exchange the user assertion, sub-agents the parent token; act nests, current actor first', async () => {
    const { idp, as } = await setup()
    const pop = buildPopulation({ tenants: 2, agents: 4, subAgentsPerAgent: 2, depth: 3 }, 3, SCOPES)
    const progress: number[][] = []
    const prov = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp), onProgress: (d, t) => progress.push([d, t]) })
    const total = pop.agents.length + pop.subAgents.length
    expect(prov.identities).toHaveLength(total)
    expect(progress.at(-1)).toEqual([total, total])
    expect(prov.identities.map((i) => i.ref)).toEqual([...pop.agents, ...pop.subAgents].map((n) => n.ref))
    for (const id of prov.identities) {
      const claims = decodeJwt(id.accessToken) as any
      const parent = id.parentRef ? prov.byRef.get(id.parentRef)! : null
      expect(id.actors).toEqual([id.clientId, ...(parent?.actors ?? [])])
      expect(claims.sub).toBe(id.principal)
      expect(claims.client_id).toBe(id.clientId)
      expect(claims.cnf.jkt).toBe(id.key.jkt)
      expect(claims.scope).toBe(id.scope.join(' '))
      expect(claims.aud).toBe(RESOURCE)
      // act chain read outermost-first equals actors
      const chain: string[] = []
      for (let a = claims.act; a; a = a.act) chain.push(a.sub)
      expect(chain).toEqual(id.actors)
      expect(id.tokenHash).toBe(tokenHash(id.accessToken))
      expect(id.tokenJti).toBe(claims.jti)
      expect(id.grantedScope).toEqual(id.scope)
      expect(Math.abs(id.expiresAt - (Date.now() + 300_000))).toBeLessThan(10_000)
      expect(id.kind).toBe(parent ? 'sub-agent' : 'agent')
    }
    expect(prov.identities.some((i) => i.depth === 3)).toBe(true)
  })

  test('request shapes: Bearer IAT and private_key_jwt metadata on register, parent_client_id for sub-agents; form, client_assertion and DPoP on token', async () => {
    const { idp, as } = await setup()
    const pop = buildPopulation({ tenants: 1, agents: 3, subAgentsPerAgent: 1, depth: 2 }, 8, SCOPES)
    const prov = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp), concurrency: 2 })
    const tokenEndpoint = `${as.issuer}/token`

    for (const reg of as.registrations) {
      expect(reg.headers.authorization).toBe(`Bearer ${IAT}`)
      expect(reg.headers['content-type']).toBe('application/json')
      expect(reg.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      expect(reg.headers['x-request-id']).toBeTruthy()
      const id = prov.identities.find((i) => `gatecrash ${i.ref}` === reg.body.client_name)!
      expect(reg.body).toMatchObject({
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
        scope: id.scope.join(' '),
        dpop_bound_access_tokens: true,
        tenant: id.tenant,
      })
      expect(reg.body.jwks.keys).toEqual([{ ...id.key.publicJwk, kid: id.key.kid, alg: 'ES256', use: 'sig' }])
      if (id.parentRef) expect(reg.body.parent_client_id).toBe(prov.byRef.get(id.parentRef)!.clientId)
      else expect(reg.body).not.toHaveProperty('parent_client_id')
    }

    expect(as.tokenCalls).toHaveLength(prov.identities.length)
    for (const call of as.tokenCalls) {
      expect(call.status).toBe(200)
      const id = prov.identities.find((i) => i.clientId === call.form.client_id)!
      expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded')
      expect(call.form).toMatchObject({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        resource: RESOURCE,
        scope: id.scope.join(' '),
      })
      // RFC 7523 §3 with draft-ietf-oauth-rfc7523bis: aud = the issuer identifier (a single string),
      // iss = sub = client_id; verified with the registered key
      const { payload: assertion } = await jwtVerify(call.form.client_assertion, createLocalJWKSet({ keys: [{ ...id.key.publicJwk, kid: id.key.kid }] }), {
        audience: as.issuer,
        issuer: id.clientId,
        subject: id.clientId,
      })
      expect(assertion.aud).toBe(as.issuer)
      expect(assertion.exp! - assertion.iat!).toBe(60)
      // RFC 9449 §5: DPoP proof on the token request, htm POST, htu = token endpoint, the client's own key
      const { payload: proof } = await jwtVerify(String(call.headers.dpop), EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
      expect(proof).toMatchObject({ htm: 'POST', htu: tokenEndpoint })
      expect(proof.ath).toBeUndefined()
      expect(call.dpop!.jkt).toBe(id.key.jkt)
      if (id.parentRef) {
        const parent = prov.byRef.get(id.parentRef)!
        expect(call.form.subject_token_type).toBe('urn:ietf:params:oauth:token-type:access_token')
        expect(call.form.subject_token).toBe(parent.accessToken)
      } else {
        expect(call.form.subject_token_type).toBe('urn:ietf:params:oauth:token-type:jwt')
        const { payload } = await jwtVerify(call.form.subject_token, createLocalJWKSet(idp.jwks()), { issuer: idp.issuer, audience: as.issuer })
        expect(payload.sub).toBe(id.principal)
      }
    }
  })

  test('bounded concurrency: never more requests in flight than asked for', async () => {
    const { idp, as } = await setup({ delayMs: 15 })
    const pop = buildPopulation({ tenants: 2, agents: 12, subAgentsPerAgent: 0, depth: 1 }, 1, SCOPES)
    await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp), concurrency: 3 })
    expect(as.maxInFlight).toBeLessThanOrEqual(3)
    expect(as.maxInFlight).toBeGreaterThan(1)
  })

  test('RFC 9449 §8: a use_dpop_nonce answer is retried once with the DPoP-Nonce', async () => {
    const { idp, as } = await setup({ requireNonce: true })
    const pop = buildPopulation({ tenants: 1, agents: 2, subAgentsPerAgent: 1, depth: 2 }, 4, SCOPES)
    const prov = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp) })
    expect(as.tokenCalls.filter((c) => c.status === 400)).toHaveLength(prov.identities.length)
    expect(as.tokenCalls.filter((c) => c.status === 200).every((c) => c.dpop!.payload.nonce === 'n-1')).toBe(true)
  })
})

describe('ERR_PROVISIONING names the identity, the step and the OAuth error', () => {
  test('a refused exchange for one sub-agent', async () => {
    const { idp, as } = await setup({ refuseExchange: (name) => (name === 'gatecrash a1.1' ? 'invalid_request' : null) })
    const pop = buildPopulation({ tenants: 1, agents: 2, subAgentsPerAgent: 1, depth: 2 }, 12, SCOPES)
    const err = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp) }).catch((e) => e)
    expect(pop.agents[0].children).toEqual(['a1.1']) // seed 12 gives a1 a child
    expect(err).toMatchObject({ code: 'ERR_PROVISIONING', ref: 'a1.1', step: 'exchange', status: 400, oauthError: 'invalid_request' })
    expect(err.message).toContain('a1.1')
    expect(err.message).toContain('invalid_request')
    expect(err.hint).toContain('parent_client_id')
    expect(err.cause).toMatchObject({ code: 'ERR_OAUTH_RESPONSE', error: 'invalid_request' })
    expect(err.registered.length).toBeGreaterThanOrEqual(3) // both agents and a1.1 were registered: clean them up
  })

  test('a refused registration (wrong initial access token)', async () => {
    const { idp, as } = await setup()
    const pop = buildPopulation({ tenants: 1, agents: 3, subAgentsPerAgent: 0, depth: 1 }, 2, SCOPES)
    const err = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor('wrong'), subjects: idpSubjectTokens(idp), concurrency: 1 }).catch((e) => e)
    expect(err).toMatchObject({ code: 'ERR_PROVISIONING', ref: 'a1', step: 'register', status: 401, oauthError: 'invalid_token' })
    expect(err.message).not.toContain('wrong') // never echo secrets
    expect(as.registrations).toHaveLength(1) // fail fast: nothing new starts after the first failure
  })

  test('RFC 8414 §3.3: metadata whose issuer differs is refused', async () => {
    const { idp, as } = await setup({ issuerOverride: 'http://127.0.0.1:1' })
    const pop = buildPopulation({ tenants: 1, agents: 1, subAgentsPerAgent: 0, depth: 1 }, 2, SCOPES)
    await expect(provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp) })).rejects.toMatchObject({ code: 'ERR_PROVISIONING' })
  })
})

describe('Token lifetime: refreshIdentity and cleanup', () => {
  test('re-exchanges an expired sub-agent after refreshing its expired parent; concurrent calls share one exchange', async () => {
    const { idp, as } = await setup()
    const pop = buildPopulation({ tenants: 1, agents: 3, subAgentsPerAgent: 1, depth: 2 }, 21, SCOPES)
    const prov = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp) })
    const child = prov.identities.find((i) => i.kind === 'sub-agent') as ProvisionedIdentity
    const parent = prov.byRef.get(child.parentRef!)!
    const [oldChild, oldParent] = [child.accessToken, parent.accessToken]
    // still valid: nothing to do
    expect(await refreshIdentity(prov, child, { subjects: idpSubjectTokens(idp) })).toBe(child)
    expect(as.tokenCalls).toHaveLength(prov.identities.length)
    parent.expiresAt = 0
    child.expiresAt = 0
    const before = as.tokenCalls.length
    const [r1, r2] = await Promise.all([refreshIdentity(prov, child.ref, { subjects: idpSubjectTokens(idp) }), refreshIdentity(prov, child, { subjects: idpSubjectTokens(idp) })])
    expect(r1).toBe(child)
    expect(r2).toBe(child)
    expect(as.tokenCalls.length - before).toBe(2) // parent once, child once
    expect(parent.accessToken).not.toBe(oldParent)
    expect(child.accessToken).not.toBe(oldChild)
    expect(child.tokenHash).toBe(tokenHash(child.accessToken))
    expect(child.expiresAt).toBeGreaterThan(Date.now())
    expect(as.tokenCalls.at(-1)!.form.subject_token).toBe(parent.accessToken)
  })

  test('RFC 7592 §2.3: deprovision deletes every client, deepest level first', async () => {
    const { idp, as } = await setup()
    const pop = buildPopulation({ tenants: 1, agents: 3, subAgentsPerAgent: 2, depth: 2 }, 6, SCOPES)
    const prov = await provision(pop, { issuer: as.issuer, resource: RESOURCE, registration: registrationFor(IAT), subjects: idpSubjectTokens(idp) })
    const result = await deprovision(prov.identities, prov.meta)
    expect(result).toEqual({ deleted: prov.identities.length, failed: [] })
    const depthOf = new Map(prov.identities.map((i) => [i.clientId, i.depth]))
    const depths = as.deletes.map((id) => depthOf.get(id)!)
    expect(depths).toEqual([...depths].sort((a, b) => b - a))
    expect(as.clients.size).toBe(0)
  })
})
