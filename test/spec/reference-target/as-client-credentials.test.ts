/**
 * Client credentials at the token endpoint (RFC 6749 §4.4), as the client-credentials cases send
 * it: an agent on its own account. The correct reference target answers a request without client
 * authentication 401 invalid_client and records nobody (unattributed.client-credentials.no-auth),
 * and a request beyond the client's registration 400 invalid_scope, recording the agent as client
 * and principal (escalate.client-credentials.upscope). Each flaw switch lets exactly its case
 * through; both run on one target, since their paths are disjoint (no authentication attempted vs
 * an authenticated request's scope), and each test shows the other control still holds.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { setUp, type Setup } from './helpers/as-attacks.ts'
import { dpopProof } from './helpers/client-crypto.ts'
import type { HttpResult } from './helpers/world.ts'

const WIDE = 'tickets:read customers:read refunds:write admin:all'

/** The stranger's client-credentials request with a client_id and a DPoP proof but no client assertion. */
async function unauthenticated(s: Setup): Promise<HttpResult> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: s.stranger.clientId, resource: s.world.rs.audience, scope: 'tickets:read' })
  const proof = await dpopProof(s.stranger.key, { htm: 'POST', htu: s.world.tokenEndpoint })
  return s.world.http('POST', s.world.tokenEndpoint, { 'content-type': 'application/x-www-form-urlencoded', dpop: proof }, form.toString())
}

/** The stranger (registered for tickets:read customers:read), authenticated, asking for more. */
const upscope = (s: Setup): Promise<HttpResult> => s.world.token(s.stranger, { grant_type: 'client_credentials', resource: s.world.rs.audience, scope: WIDE })

describe('correct target: client credentials need authentication and stay within the registration', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp([])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test('unattributed.client-credentials.no-auth (RFC 6749 §3.2.1): client_id without assertion → 401 invalid_client, anonymous record', async () => {
    const res = await unauthenticated(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', status: 401, error: 'invalid_client',
      principal: { sub: null, type: 'anonymous' }, client_id: null, actors: [],
      resource: { tool: 'token.client_credentials' },
    })
  })

  test('escalate.client-credentials.upscope (RFC 6749 §5.2): beyond the registration → 400 invalid_scope, the agent recorded with requested_scope', async () => {
    const res = await upscope(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_scope')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', status: 400, error: 'invalid_scope', reason: 'scope.not_allowed',
      principal: { sub: s.stranger.clientId, type: 'agent' }, client_id: s.stranger.clientId,
      resource: { tool: 'token.client_credentials' }, detail: { requested_scope: WIDE.split(' ') },
    })
  })

  test('control: within the registration → 200 with the scope asked for, stated in the response', async () => {
    const res = await s.world.token(s.stranger, { grant_type: 'client_credentials', resource: s.world.rs.audience, scope: 'tickets:read' })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.scope).toBe('tickets:read')
    expect(decodeJwt(res.body.access_token as string).scope).toBe('tickets:read')
  })
})

describe('flaw switches: each lets exactly its case through', () => {
  let f: Setup
  beforeAll(async () => {
    f = await setUp(['client-credentials-unauthenticated', 'client-credentials-scope-unchecked'])
  })
  afterAll(async () => {
    await f?.world.stop()
  })

  test('the flaws name their controls and cases', () => {
    const byName = new Map(referenceTarget.flaws.map((x) => [x.name, x]))
    expect(byName.get('client-credentials-unauthenticated')?.caughtBy).toEqual(['unattributed.client-credentials.no-auth'])
    expect(byName.get('client-credentials-scope-unchecked')?.caughtBy).toEqual(['escalate.client-credentials.upscope'])
  })

  test('client-credentials-unauthenticated: a client_id alone gets a token; an authenticated request is still held to the registration', async () => {
    const res = await unauthenticated(f)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string).client_id).toBe(f.stranger.clientId)
  })

  test('client-credentials-scope-unchecked: the wide request is granted as asked, admin:all included', async () => {
    const res = await upscope(f)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string).scope).toBe(WIDE)
    // an exchange is still held to its ceiling: only the client-credentials check is off
    expect((await f.world.exchange(f.stranger, await f.world.idp.assertion({ sub: 'user_42', tenant: f.stranger.tenant, scope: 'tickets:read' }, f.world.target.issuer), 'urn:ietf:params:oauth:token-type:jwt', WIDE)).status).toBe(400)
  })
})
