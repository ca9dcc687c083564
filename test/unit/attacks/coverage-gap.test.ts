/**
 * docs/architecture.md "Coverage": a case the target cannot serve is not-covered with a reason a
 * user can act on (which metadata member, which profile key, which admin hook), never dropped and
 * never a pass. The run (measure.ts) and the preflight share this one wording.
 */
import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { capabilityGap } from '../../../harness/attacks/coverage-gap.ts'
import type { TargetCapabilities } from '../../../harness/contracts/target.ts'

const ALL: TargetCapabilities = { dpop: true, tokenExchange: true, clientCredentials: true, registration: true, revocation: true, clientDeletion: true, adminHooks: true, harnessIdp: true, replicas: 2 }
const gaps = (caps: Partial<TargetCapabilities>) =>
  Object.fromEntries(CATALOG.map((c) => [c.id, capabilityGap(c, { ...ALL, ...caps })]).filter(([, why]) => why !== undefined))

describe('why a catalog case is not covered', () => {
  test('with every capability, every case can run', () => {
    expect(gaps({})).toEqual({})
  })

  test('subject tokens from the profile\'s command: exactly the cases that sign their own subject token are not covered, and say so', () => {
    const g = gaps({ harnessIdp: false })
    expect(Object.keys(g).sort()).toEqual(['escalate.exchange-upscope', 'escalate.may-act', 'lifecycle.expired-subject'])
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
