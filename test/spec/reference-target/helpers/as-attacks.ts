/**
 * The authorization-server attacks as the harness's cases send them, against a small population
 * (populate() plus an agent allowed refunds, a grandchild under the sub-agent, and a stranger),
 * shared by the correct-target specs (as-policy) and the flaw specs (as-flaws).
 */
import { assertionWith, tokenWithAssertion } from './as-requests.ts'
import { populate, TENANT, USER, type Population } from './population.ts'
import { GRANT_EXCHANGE, TYPE_AT, TYPE_JWT, World, type Actor } from './world.ts'

export { TENANT, USER }

/** a user who holds less than the agents acting for them */
export const NARROW_USER = { sub: 'user_7', tenant: TENANT, scope: 'tickets:read' }
export const TICKET = `/t/${TENANT}/tickets/T-3`
export const UNKNOWN_RESOURCE = 'http://127.0.0.1:9/unknown'

/** The issuer identifier of another AS on this one's host, as unattributed.client-assertion.wrong-aud names it. */
export function otherIssuer(world: World): string {
  const url = new URL(world.target.issuer)
  url.port = String((Number(url.port) % 65_535) + 1)
  return url.origin
}

export interface Setup {
  world: World
  pop: Population
  /** top-level agent allowed refunds, for up-scope attempts */
  wide: Actor
  /** a grandchild under pop.sub, for re-exchange attempts */
  grandchild: Actor
  /** another top-level agent of the tenant, never a delegate of anyone */
  stranger: Actor
}

export async function setUp(flaws: string[]): Promise<Setup> {
  const world = await World.start(flaws, { replicas: 1 })
  const pop = await populate(world)
  const [wide, grandchild, stranger] = await Promise.all([
    world.register({ tenant: TENANT, scope: 'tickets:read customers:read refunds:write' }),
    world.register({ tenant: TENANT, scope: 'tickets:read customers:read', parent: pop.sub.clientId, grantTypes: [GRANT_EXCHANGE] }),
    world.register({ tenant: TENANT, scope: 'tickets:read customers:read' }),
  ])
  return { world, pop, wide, grandchild, stranger }
}

// the attacks, each as the harness case sends it
export const attack = {
  laundering: (s: Setup) => s.world.exchange(s.stranger, s.pop.agentToken, TYPE_AT, 'tickets:read'),
  upscope: async (s: Setup) => s.world.exchange(s.wide, await s.world.idp.assertion(NARROW_USER, s.world.target.issuer), TYPE_JWT, 'tickets:read refunds:write'),
  reexchange: (s: Setup) => s.world.exchange(s.grandchild, s.pop.subToken, TYPE_AT, 'customers:read'),
  unknownTarget: async (s: Setup) => s.world.exchange(s.pop.agent, await s.world.idp.assertion(USER, s.world.target.issuer), TYPE_JWT, 'tickets:read', UNKNOWN_RESOURCE),
  otherRs: (s: Setup) => s.world.exchange(s.pop.sub, s.pop.agentToken, TYPE_AT, undefined, s.world.rs2.audience),
  mayAct: async (s: Setup) => s.world.exchange(s.stranger, await s.world.idp.assertion(USER, s.world.target.issuer, 300, { may_act: { sub: s.pop.agent.clientId } }), TYPE_JWT, 'tickets:read'),
  actorToken: async (s: Setup) => s.world.token(s.pop.agent, {
    grant_type: GRANT_EXCHANGE, subject_token: await s.world.idp.assertion(USER, s.world.target.issuer), subject_token_type: TYPE_JWT,
    resource: s.world.rs.audience, scope: 'tickets:read', actor_token: s.pop.subToken, actor_token_type: TYPE_AT,
  }),
  anon: async (s: Setup) => tokenWithAssertion(s.world, s.pop.agent, null, {
    grant_type: GRANT_EXCHANGE, client_id: s.pop.agent.clientId, subject_token: await s.world.idp.assertion(USER, s.world.target.issuer),
    subject_token_type: TYPE_JWT, resource: s.world.rs.audience, scope: 'tickets:read',
  }),
  wrongAud: async (s: Setup) => tokenWithAssertion(s.world, s.pop.agent, await assertionWith(s.pop.agent.key, s.pop.agent.clientId, { aud: otherIssuer(s.world) }), { grant_type: 'client_credentials', resource: s.world.rs.audience }),
  expiredAssertion: async (s: Setup) => {
    const now = Math.floor(Date.now() / 1000)
    const assertion = await assertionWith(s.pop.agent.key, s.pop.agent.clientId, { aud: s.world.tokenEndpoint, iat: now - 660, exp: now - 600 })
    return tokenWithAssertion(s.world, s.pop.agent, assertion, { grant_type: 'client_credentials', resource: s.world.rs.audience })
  },
  expiredSubject: async (s: Setup) => s.world.exchange(s.pop.agent, await s.world.idp.assertion(USER, s.world.target.issuer, -600), TYPE_JWT, 'tickets:read'),
}
