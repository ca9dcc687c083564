/**
 * unattributed.client-assertion.aud-* against the reference AS: a private_key_jwt assertion whose
 * `aud` is compared the ways such checks go wrong (prefix, path only, one member of an array) or
 * names another endpoint of this AS. The correct target refuses each with 401 invalid_client and an
 * anonymous deny record (client.assertion_audience, detail aud) and accepts exactly its issuer
 * identifier and its token endpoint URL (RFC 7523 §3; draft-ietf-oauth-rfc7523bis-11 §4); each flaw
 * switch lets its case through. The harness's own aud values (prefixedIssuer, otherHostTokenEndpoint,
 * foreignAudience) are used, so the spec sends what the cases send.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { foreignAudience, otherHostTokenEndpoint, prefixedIssuer } from '../../../harness/attacks/as/unattributed-client-assertion.ts'
import { tokenWithAssertion } from './helpers/as-requests.ts'
import { clientAssertion } from './helpers/client-crypto.ts'
import { TENANT } from './helpers/population.ts'
import { World, type Actor, type HttpResult } from './helpers/world.ts'

interface Audiences {
  prefix: string
  otherHost: string
  array: string[]
  otherEndpoint: string
}

function audiences(world: World): Audiences {
  const meta = { issuer: world.target.issuer, token_endpoint: world.tokenEndpoint }
  return {
    prefix: prefixedIssuer(meta.issuer),
    otherHost: otherHostTokenEndpoint(meta.token_endpoint),
    // salt 0: the other AS's issuer identifier, a different string from every value of ours
    array: [meta.issuer, foreignAudience(meta, 0)],
    otherEndpoint: `${world.target.issuer}/revoke`,
  }
}

async function withAud(world: World, agent: Actor, aud: string | string[]): Promise<HttpResult> {
  return tokenWithAssertion(world, agent, await clientAssertion(agent.key, agent.clientId, aud), { grant_type: 'client_credentials', resource: world.rs.audience })
}

async function expectRefused(world: World, res: HttpResult, aud: string | string[]): Promise<void> {
  expect(res.status, JSON.stringify(res.body)).toBe(401)
  expect(res.body.error).toBe('invalid_client')
  expect(await world.recordFor(res.traceId)).toMatchObject({
    decision: 'deny', reason: 'client.assertion_audience', status: 401, error: 'invalid_client',
    principal: { sub: null, type: 'anonymous' }, client_id: null, actors: [], detail: { aud },
  })
}

describe('correct target: a client assertion authenticates only with this AS as its audience', () => {
  let world: World
  let agent: Actor
  let aud: Audiences
  beforeAll(async () => {
    world = await World.start([], { replicas: 1 })
    agent = await world.register({ tenant: TENANT, scope: 'tickets:read' })
    aud = audiences(world)
  })
  afterAll(async () => {
    await world?.stop()
  })

  test('unattributed.client-assertion.aud-issuer-prefix (RFC 7523 §3; RFC 3986 §6.2.1): aud = our issuer + "/tenant-b" → 401 invalid_client (client.assertion_audience)', async () => {
    await expectRefused(world, await withAud(world, agent, aud.prefix), aud.prefix)
  })

  test('unattributed.client-assertion.aud-other-host (RFC 7523 §3; RFC 3986 §6.2.1): our token endpoint path on another host → 401 invalid_client (client.assertion_audience)', async () => {
    await expectRefused(world, await withAud(world, agent, aud.otherHost), aud.otherHost)
  })

  test('unattributed.client-assertion.aud-array-extra (draft-ietf-oauth-rfc7523bis-11 §4: the issuer as the sole audience value): [our issuer, another AS] → 401 invalid_client (client.assertion_audience)', async () => {
    await expectRefused(world, await withAud(world, agent, aud.array), aud.array)
  })

  test('unattributed.client-assertion.aud-other-endpoint (draft-ietf-oauth-rfc7523bis-11 §4): our revocation endpoint URL → 401 invalid_client (client.assertion_audience)', async () => {
    await expectRefused(world, await withAud(world, agent, aud.otherEndpoint), aud.otherEndpoint)
  })

  test('RFC 7523 §3: the issuer identifier, the token endpoint URL and an array of only those are accepted (the lawful values stay lawful)', async () => {
    for (const lawful of [world.target.issuer, world.tokenEndpoint, [world.target.issuer], [world.target.issuer, world.tokenEndpoint]]) {
      const res = await withAud(world, agent, lawful)
      expect(res.status, `${JSON.stringify(lawful)}: ${JSON.stringify(res.body)}`).toBe(200)
      expect(await world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', client_id: agent.clientId })
    }
  })
})

describe('flawed targets: each audience flaw lets exactly its case through', () => {
  // prefix and any-member sit on disjoint inputs (a string below our issuer; an array with a foreign
  // member), so they share a target; path-only would also pass the array, so it gets its own
  let ab: World
  let c: World
  let agentAb: Actor
  let agentC: Actor
  beforeAll(async () => {
    ;[ab, c] = await Promise.all([World.start(['client-assertion-aud-prefix', 'client-assertion-aud-any-member'], { replicas: 1 }), World.start(['client-assertion-aud-path-only'], { replicas: 1 })])
    ;[agentAb, agentC] = await Promise.all([ab.register({ tenant: TENANT, scope: 'tickets:read' }), c.register({ tenant: TENANT, scope: 'tickets:read' })])
  })
  afterAll(async () => {
    await Promise.all([ab?.stop(), c?.stop()])
  })

  test('client-assertion-aud-prefix (unattributed.client-assertion.aud-issuer-prefix, .aud-other-endpoint): an aud below our issuer, and our revocation URL, authenticate', async () => {
    const aud = audiences(ab)
    expect((await withAud(ab, agentAb, aud.prefix)).status).toBe(200)
    expect((await withAud(ab, agentAb, aud.otherEndpoint)).status).toBe(200)
    // not a path comparison: another host is still refused
    await expectRefused(ab, await withAud(ab, agentAb, aud.otherHost), aud.otherHost)
  })

  test('client-assertion-aud-any-member (unattributed.client-assertion.aud-array-extra): [our issuer, another AS] authenticates', async () => {
    const res = await withAud(ab, agentAb, audiences(ab).array)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(await ab.recordFor(res.traceId)).toMatchObject({ decision: 'allow', client_id: agentAb.clientId })
  })

  test('client-assertion-aud-path-only (unattributed.client-assertion.aud-other-host): our token endpoint path on another host authenticates; a prefixed issuer does not', async () => {
    const aud = audiences(c)
    expect((await withAud(c, agentC, aud.otherHost)).status).toBe(200)
    await expectRefused(c, await withAud(c, agentC, aud.prefix), aud.prefix)
  })
})
