/**
 * Prepared material crossing to a worker (load/workers/portable-value.ts): identities are class
 * instances (population/enroll.ts), population and fresh alike, so they cross as the fields a fired
 * case reads, including the resource the token is for (the lifecycle cases pick their resource
 * server by it), and nothing else (no RFC 7592 registration secret).
 */
import { describe, expect, test } from 'vitest'
import { decodePortable, encodePortable } from '../../../harness/load/workers/portable-value.ts'
import { ProvisionedIdentity, applyToken } from '../../../harness/population/enroll.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { encodeSegment } from '../../../harness/protocol/jws.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'

const RESOURCE = 'https://tools.gatecrash.test/rs2'

function identity(ref: string, parent: ProvisionedIdentity | null): ProvisionedIdentity {
  const clientId = `client_${ref}`
  const reg = { clientId, registrationAccessToken: `rat_${ref}`, registrationClientUri: `https://as.test/register/${clientId}` }
  const id = new ProvisionedIdentity({ ref, tenant: 't_1', principal: 'user_1', scope: ['tickets:read'] }, parent, generateIdentityKey(), reg, RESOURCE)
  const token = `${encodeSegment({ alg: 'ES256' })}.${encodeSegment({ exp: Math.floor(Date.now() / 1000) + 60, jti: ref })}.sig`
  applyToken(id, { access_token: token, token_type: 'DPoP', scope: 'tickets:read' })
  return id
}

describe('portable prepared material', () => {
  test('a fresh agent and sub-agent cross with the RunIdentity fields and their resource, not their registration', () => {
    const agent = identity('case-1', null)
    const sub = identity('case-2', agent)
    const crossed = decodePortable(structuredClone(encodePortable([agent, sub]))) as Record<string, any>[]
    for (const [orig, got] of [[agent, crossed[0]], [sub, crossed[1]]] as const) {
      expect(Object.keys(got).sort()).toEqual(['actors', 'clientId', 'credential', 'kind', 'principal', 'ref', 'resource', 'scope', 'tenant'])
      expect(got).toMatchObject({ ref: orig.ref, kind: orig.kind, clientId: orig.clientId, tenant: 't_1', principal: 'user_1', scope: ['tickets:read'], actors: orig.actors, resource: RESOURCE })
      expect(got.credential.accessToken).toBe(orig.accessToken)
      expect(got.credential.tokenHash).toBe(tokenHash(orig.accessToken))
      expect(got.credential.key.jkt).toBe(orig.key.jkt)
    }
    expect(crossed[1].kind).toBe('sub-agent')
    expect(JSON.stringify(crossed.map((c) => ({ ...c, credential: null })))).not.toContain('rat_')
  })
})
