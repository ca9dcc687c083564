/**
 * gatecrash's own client code against the example, as a run would use it: RFC 8414 discovery,
 * enrollment (RFC 7591 registration with standard metadata only, then RFC 8693 exchange) of an
 * agent and its sub-agent, user assertions of the harness's workforce IdP, and a tool call with the
 * hot path's DPoP proof. The example must need nothing gatecrash-specific for any of it.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { enroll, type EnrollContext } from '../../../../harness/population/enroll.ts'
import { idpSubjectTokens, WorkforceIdp } from '../../../../harness/population/workforce-idp.ts'
import { createDpopProof } from '../../../../harness/protocol/dpop-proof.ts'
import { discover } from '../../../../harness/protocol/oauth-client.ts'
import { INITIAL_ACCESS_TOKEN, startDeployment, type Deployment } from './helpers/deployment.ts'
import { traceparent } from './helpers/client.ts'

const idp = new WorkforceIdp()
let d: Deployment
beforeAll(async () => {
  d = await startDeployment({ idp: { issuer: idp.issuer, jwks: idp.jwks() } })
})
afterAll(async () => {
  await d?.stop()
})

test('discover, enroll an agent and its sub-agent with gatecrash\'s client, and call a tool with its DPoP proof', async () => {
  // a standards-only registration: the initial access token and no member the AS did not ask for
  const registration = { initialAccessToken: () => INITIAL_ACCESS_TOKEN, members: () => ({}), cleanup: 'keep' as const }
  const ctx: EnrollContext = { meta: await discover(d.issuer), subjects: idpSubjectTokens(idp), registration }
  const principal = { id: 'user_1', tenant: 't_1', name: 'Ada', entitlements: ['tickets:read', 'customers:read'] as ('tickets:read' | 'customers:read')[] }
  const agent = await enroll(ctx, { ref: 'a1', principal, scope: ['tickets:read', 'customers:read'], resource: d.support })
  const sub = await enroll(ctx, { ref: 'a1.1', parent: agent, scope: ['tickets:read'], resource: d.support })
  expect(agent.grantedScope).toEqual(['tickets:read', 'customers:read'])
  expect(sub.grantedScope).toEqual(['tickets:read'])
  expect(sub.actors).toEqual([sub.clientId, agent.clientId])

  const url = `${d.support}/t/t_1/tickets/ticket_9`
  const { proof } = createDpopProof(sub.key, { htm: 'GET', htu: url, accessToken: sub.accessToken })
  const t = traceparent()
  const res = await fetch(url, { headers: { authorization: `DPoP ${sub.accessToken}`, dpop: proof, traceparent: t.traceparent, 'x-request-id': t.requestId } })
  expect(res.status).toBe(200)
  expect(d.audit(d.rsSupport).find((l) => l.trace === t.traceId)).toMatchObject({
    outcome: 'allowed', user: 'user_1', user_kind: 'human', client: sub.clientId, delegation: sub.actors, tool: 'ticket.read', tenant: 't_1', token_sha256: sub.tokenHash, token_id: sub.tokenJti,
  })
})
