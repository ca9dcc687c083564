/** The small population every spec file starts from: one user, one agent, one sub-agent, tokens. */
import { expect } from 'vitest'
import { TYPE_AT, TYPE_JWT, World, type Actor } from './world.ts'

export const TENANT = 't_acme'
export const USER = { sub: 'user_42', tenant: TENANT, scope: 'tickets:read customers:read refunds:write' }

export interface Population {
  agent: Actor
  sub: Actor
  /** agent acting for USER: sub=user, act={sub: agent} */
  agentToken: string
  /** sub-agent acting for USER via agent, scope tickets:read only */
  subToken: string
  assertion: string
}

export async function populate(world: World): Promise<Population> {
  const agent = await world.register({ tenant: TENANT, scope: 'tickets:read customers:read refunds:write' })
  expect(agent.response.status).toBe(201)
  const sub = await world.register({ tenant: TENANT, scope: 'tickets:read customers:read', parent: agent.clientId, grantTypes: ['urn:ietf:params:oauth:grant-type:token-exchange'] })
  expect(sub.response.status).toBe(201)
  const assertion = await world.idp.assertion(USER, world.target.issuer)
  const a = await world.exchange(agent, assertion, TYPE_JWT)
  expect(a.status, JSON.stringify(a.body)).toBe(200)
  const s = await world.exchange(sub, a.body.access_token as string, TYPE_AT, 'tickets:read')
  expect(s.status, JSON.stringify(s.body)).toBe(200)
  return { agent, sub, agentToken: a.body.access_token as string, subToken: s.body.access_token as string, assertion }
}
