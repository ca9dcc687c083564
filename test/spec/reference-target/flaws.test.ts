/**
 * Flaw switches: each breaks exactly one control, and the attack cases listed in `caughtBy` must
 * see the difference (this is what the mutation self-test relies on).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { FlawUnknown } from '../../../harness/contracts/errors.ts'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { populate, TENANT, type Population } from './helpers/population.ts'
import { World } from './helpers/world.ts'

let noReplayCache: World
let dropsDenies: World
let popA: Population
let popB: Population

beforeAll(async () => {
  ;[noReplayCache, dropsDenies] = await Promise.all([World.start(['replay-cache-off']), World.start(['evidence-drops-denies'])])
  ;[popA, popB] = await Promise.all([populate(noReplayCache), populate(dropsDenies)])
})
afterAll(async () => {
  await Promise.all([noReplayCache?.stop(), dropsDenies?.stop()])
})

describe('flaw replay-cache-off (caught by replay.dpop-jti-reuse)', () => {
  test('RFC 9449 §11.1: the same proof is accepted twice when the replay check is off', async () => {
    const path = `/t/${TENANT}/tickets/T-1`
    const proof = await noReplayCache.proofFor(popA.agent, 'GET', path, popA.agentToken)
    const first = await noReplayCache.call(popA.agent, popA.agentToken, 'GET', path, { proof })
    const replay = await noReplayCache.call(popA.agent, popA.agentToken, 'GET', path, { proof })
    expect(first.status).toBe(200)
    expect(replay.status).toBe(200)
    expect(await noReplayCache.recordFor(replay.traceId)).toMatchObject({ decision: 'allow' })
    expect(noReplayCache.target.flaws).toEqual(['replay-cache-off'])
  })
})

describe('flaw evidence-drops-denies (caught by unattributed.no-credential, escalate.tool-scope, replay.dpop-jti-reuse)', () => {
  test('unattributed.no-credential is still refused, but leaves no record', async () => {
    const res = await dropsDenies.call(popB.agent, '', 'GET', `/t/${TENANT}/tickets/T-1`, { noAuth: true, proof: null })
    expect(res.status).toBe(401)
    expect(await dropsDenies.settledRecordsFor(res.traceId)).toEqual([])
  })

  test('escalate.tool-scope is refused without a record, while allows are still recorded', async () => {
    const denied = await dropsDenies.call(popB.sub, popB.subToken, 'POST', `/t/${TENANT}/refunds`, { body: { ticket_id: 'T-1', amount: 5 } })
    expect(denied.status).toBe(403)
    const allowed = await dropsDenies.call(popB.sub, popB.subToken, 'GET', `/t/${TENANT}/tickets/T-1`)
    expect(allowed.status).toBe(200)
    expect(await dropsDenies.recordFor(allowed.traceId)).toMatchObject({ decision: 'allow' })
    expect(await dropsDenies.settledRecordsFor(denied.traceId, 0)).toEqual([])
  })
})

describe('flaw names', () => {
  test('an unknown flaw is ERR_FLAW_UNKNOWN with a hint naming the known ones, and nothing starts', async () => {
    const err = await referenceTarget
      .start({ trust: noReplayCache.idp.trust, flaws: ['no-such-flaw'], dataDir: '/nonexistent', initialAccessToken: 'x'.repeat(32) })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FlawUnknown)
    expect(err).toMatchObject({ code: 'ERR_FLAW_UNKNOWN' })
    expect((err as FlawUnknown).hint).toContain('replay-cache-off')
    expect((err as FlawUnknown).hint).toContain('evidence-drops-denies')
  })

  test('each flaw names its control and the cases that catch it', () => {
    expect(referenceTarget.flaws.map((f) => f.name)).toEqual(expect.arrayContaining(['replay-cache-off', 'evidence-drops-denies']))
    expect(referenceTarget.flaws.find((f) => f.name === 'replay-cache-off')?.caughtBy).toEqual(['replay.dpop-jti-reuse', 'replay.dpop-jti-reuse.parallel'])
  })
})
