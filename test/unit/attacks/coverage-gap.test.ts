/**
 * docs/architecture.md "Coverage": a case the target cannot serve is not-covered with a reason a
 * user can act on (which metadata member, which profile key, which admin hook), never dropped and
 * never a pass. The run (measure.ts) and the preflight share this one wording.
 */
import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { capabilityGap, coverageGap } from '../../../harness/attacks/coverage-gap.ts'
import { coverageFromCapabilities } from '../../../harness/run/preflight.ts'
import type { InternalPath, ResourceServerInfo, TargetCapabilities } from '../../../harness/contracts/target.ts'

const ALL: TargetCapabilities = { dpop: true, tokenExchange: true, clientCredentials: true, registration: true, revocation: true, clientDeletion: true, adminHooks: true, harnessIdp: true, replicas: 2 }
const gaps = (caps: Partial<TargetCapabilities>) =>
  Object.fromEntries(CATALOG.map((c) => [c.id, capabilityGap(c, { ...ALL, ...caps })]).filter(([, why]) => why !== undefined))

describe('why a catalog case is not covered', () => {
  test('with every capability, every case can run', () => {
    expect(gaps({})).toEqual({})
  })

  test('subject tokens from the profile\'s command: exactly the cases that sign their own subject token are not covered, and say so', () => {
    const g = gaps({ harnessIdp: false })
    expect(Object.keys(g).sort()).toEqual(['escalate.exchange-scope.empty', 'escalate.exchange-scope.omitted', 'escalate.exchange-upscope', 'escalate.may-act', 'escalate.subject-token.nbf-future', 'escalate.subject-token.other-aud', 'lifecycle.expired-subject'])
    for (const why of Object.values(g)) expect(why).toMatch(/workforce IdP.*profile's command/)
  })

  test('no admin hooks: each case names the hooks it calls', () => {
    expect(gaps({ adminHooks: false })).toEqual({
      'lifecycle.expired-at': expect.stringMatching(/admin hooks.*admin\.setTokenTtl$/),
      'lifecycle.retired-key': expect.stringMatching(/admin\.rotateSigningKey and admin\.retireSigningKey$/),
    })
  })

  test('a capability from metadata names the member to publish', () => {
    expect(gaps({ revocation: false })).toEqual({
      'lifecycle.revoked-at': expect.stringContaining('revocation_endpoint'),
      'escalate.revoke.other-client': expect.stringContaining('revocation_endpoint'),
      'lifecycle.revoked-at.wrong-hint': expect.stringContaining('revocation_endpoint'),
      'lifecycle.revoke-invalid-token': expect.stringContaining('revocation_endpoint'),
    })
    const noExchange = gaps({ tokenExchange: false })
    expect(Object.keys(noExchange).length).toBeGreaterThan(5)
    for (const why of Object.values(noExchange)) expect(why).toContain('grant_types_supported')
  })

  test('several missing: every one is named', () => {
    expect(capabilityGap({ needs: ['tokenExchange', 'harnessIdp'] }, { ...ALL, tokenExchange: false, harnessIdp: false })).toMatch(/token exchange.*, and trust in the harness's workforce IdP/)
  })
})

describe('internal endpoints: the target declares them, or their cases are not covered', () => {
  const ADMIN: InternalPath = { name: 'ledger read', method: 'GET', path: '/admin/ledger', role: 'admin' }
  const PEER: InternalPath = { name: 'revocation push', method: 'POST', path: '/internal/revocations', role: 'peer' }
  const rs = (internalPaths?: InternalPath[]): ResourceServerInfo[] => [
    { id: 'support', audience: 'https://support.example', origin: 'http://127.0.0.1:9', tools: [], ...(internalPaths ? { internalPaths } : {}) },
    { id: 'kb', audience: 'https://kb.example', origin: 'http://127.0.0.1:10', tools: [], internalPaths: [ADMIN, PEER] },
  ]
  const gapsFor = (resources: ResourceServerInfo[]) =>
    Object.fromEntries(CATALOG.map((c) => [c.id, coverageGap(c, { capabilities: ALL, resources })]).filter(([, why]) => why !== undefined))

  test('none declared on the first resource server (the one tokens are for): exactly the two cases, each naming the key and role to declare', () => {
    expect(gapsFor(rs())).toEqual({
      'escalate.internal-endpoint.admin-read': expect.stringMatching(/no management endpoint of resource server support \(resources\[\]\.internalPaths with role "admin"/),
      'escalate.internal-endpoint.peer-push': expect.stringMatching(/no endpoint its own components call of resource server support \(resources\[\]\.internalPaths with role "peer"/),
    })
  })

  test('one role declared: only the other case is not covered; both declared: nothing is', () => {
    expect(Object.keys(gapsFor(rs([ADMIN])))).toEqual(['escalate.internal-endpoint.peer-push'])
    expect(Object.keys(gapsFor(rs([PEER])))).toEqual(['escalate.internal-endpoint.admin-read'])
    expect(gapsFor(rs([ADMIN, PEER]))).toEqual({})
  })

  test('the preflight reports the same', () => {
    const { covered, notCovered } = coverageFromCapabilities({ capabilities: ALL, resources: rs([ADMIN]) })
    expect(covered).toContain('escalate.internal-endpoint.admin-read')
    expect(notCovered).toEqual([{ id: 'escalate.internal-endpoint.peer-push', reason: expect.stringContaining('role "peer"') }])
  })

  test('a missing capability is named first', () => {
    expect(coverageGap({ needs: ['dpop'], internalPath: 'admin' }, { capabilities: { ...ALL, dpop: false }, resources: rs() })).toMatch(/DPoP/)
  })
})
