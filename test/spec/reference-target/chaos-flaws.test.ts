/**
 * The fail-open flaw switches (flaws.ts): each turns one fail-closed behaviour under a fault into
 * fail-open. No attack case alone can catch them, since each needs a fault; a chaos scenario's
 * steady-state checks do (`caughtByScenario`). Each test runs the same fault against a correct and
 * a flawed target, side by side: correct → refused (503 + `system.*` record) or buffered; flawed →
 * served without the check, or without the evidence. Faults are link faults from a small TCP proxy
 * (helpers/chaos-link.ts) in the place of the harness's fault proxy.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { checkChain } from '../../../harness/evidence/integrity.ts'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { forgedToken, LinkProxies, until } from './helpers/chaos-link.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { World, type HttpResult } from './helpers/world.ts'

const CHAOS_FLAWS = ['jwks-fail-open', 'replay-store-fail-open', 'evidence-drop-when-sink-down']

interface Side {
  links: LinkProxies
  world: World
  pop: Population
}

let correct: Side
let flawed: Side

async function side(flaws: string[]): Promise<Side> {
  const links = new LinkProxies()
  const world = await World.start(flaws, { replicas: 1, proxy: links.proxy })
  return { links, world, pop: await populate(world) }
}

beforeAll(async () => {
  ;[correct, flawed] = await Promise.all([side([]), side(CHAOS_FLAWS)])
})
afterAll(async () => {
  await Promise.allSettled([correct?.world.stop(), flawed?.world.stop()])
  await Promise.allSettled([correct?.links.close(), flawed?.links.close()])
})

const ticket = (id: string): string => `/t/${TENANT}/tickets/${id}`
const call = (s: Side, id: string, o: { proof?: string } = {}): Promise<HttpResult> => s.world.call(s.pop.agent, s.pop.agentToken, 'GET', ticket(id), o)

/** Runs `body` with `link` in `mode` on both targets, then heals the links. */
async function underFault<T>(link: string, body: () => Promise<T>): Promise<T> {
  for (const s of [correct, flawed]) s.links.get(link).set('refuse')
  try {
    return await body()
  } finally {
    for (const s of [correct, flawed]) s.links.heal()
  }
}

async function refusedWithRecord(s: Side, res: HttpResult, reason: string): Promise<void> {
  expect(res.status, JSON.stringify(res.body)).toBe(503)
  expect(res.body.error).toBe('temporarily_unavailable')
  expect(await s.world.recordFor(res.traceId)).toMatchObject({ decision: 'deny', reason, status: 503, policy: { rule: 'fail-closed' } })
}

describe('flaw jwks-fail-open (caught by scenarios/chaos-jwks.ts)', () => {
  test('JWKS refused, a token under a kid nobody published: correct → 503 system.jwks_unavailable with a record; flawed → the forged token is served, unverified', async () => {
    const forge = async (s: Side) => {
      const f = await forgedToken(s.pop.agentToken)
      return { token: f.token, attacker: { clientId: s.pop.agent.clientId, key: f.key, tenant: TENANT } }
    }
    const [c, f] = await Promise.all([forge(correct), forge(flawed)])
    // with the JWKS reachable both refuse it: the flaw acts only under the fault
    const calm = await flawed.world.call(f.attacker, f.token, 'GET', ticket('JF-0'))
    expect(calm.status).toBe(401)
    expect(await flawed.world.recordFor(calm.traceId)).toMatchObject({ reason: 'token.kid_unknown' })
    await new Promise((r) => setTimeout(r, 1_100)) // past the refetch interval, so the fault is met by a fetch
    await underFault('jwks', async () => {
      await refusedWithRecord(correct, await correct.world.call(c.attacker, c.token, 'GET', ticket('JF-1')), 'system.jwks_unavailable')
      // a genuine token's key is cached: it keeps working on both
      expect((await call(correct, 'JF-2')).status).toBe(200)
      const breach = await flawed.world.call(f.attacker, f.token, 'GET', ticket('JF-1'))
      expect(breach.status, JSON.stringify(breach.body)).toBe(200)
      expect(await flawed.world.recordFor(breach.traceId)).toMatchObject({ decision: 'allow', principal: { sub: USER.sub }, key: { jkt: f.attacker.key.jkt } })
    })
  })
})

describe('flaw replay-store-fail-open (caught by scenarios/chaos-replay-store.ts)', () => {
  test('replay store refused: correct → 503 system.replay_store_unavailable with a record; flawed → served, and the same proof is served again (a replay)', async () => {
    const proofs = await Promise.all([correct, flawed].map((s) => s.world.proofFor(s.pop.agent, 'GET', ticket('RF-1'), s.pop.agentToken)))
    await underFault('replay-store', async () => {
      await refusedWithRecord(correct, await call(correct, 'RF-1', { proof: proofs[0] }), 'system.replay_store_unavailable')
      const first = await call(flawed, 'RF-1', { proof: proofs[1] })
      const replay = await call(flawed, 'RF-1', { proof: proofs[1] })
      expect([first.status, replay.status]).toEqual([200, 200])
      expect(await flawed.world.recordFor(replay.traceId)).toMatchObject({ decision: 'allow' })
    })
    // healed, the correct target checks again (the refused proof was never recorded, so it is fresh)
    expect((await call(correct, 'RF-1', { proof: proofs[0] })).status).toBe(200)
  })
})

describe('flaw evidence-drop-when-sink-down (caught by scenarios/chaos-evidence-sink.ts)', () => {
  test('sink refused: correct → calls buffered, delivered once it is back, chain intact; flawed → their records are dropped, no gap recorded, and the chain still verifies (the loss is invisible)', async () => {
    const during = await underFault('evidence-sink', async () => {
      // the first call's record is in the buffer when the sink is found down; later ones follow it
      const out: { correct: HttpResult[]; flawed: HttpResult[] } = { correct: [], flawed: [] }
      for (let i = 0; i < 4; i++) {
        out.correct.push(await call(correct, `EF-${i}`))
        out.flawed.push(await call(flawed, `EF-${i}`))
        await new Promise((r) => setTimeout(r, 60))
      }
      return out
    })
    expect([...during.correct, ...during.flawed].map((r) => r.status)).toEqual(Array(8).fill(200))
    // healed: the correct target delivers everything it buffered, in order
    await until('the correct target\'s buffered records', async () => (await correct.world.recordsFor(during.correct[3].traceId, 1, 0)).length > 0, 5_000)
    const chain = (await correct.world.records()).filter((r) => r.component === 'rs-1/0')
    const at = during.correct.map((r) => chain.findIndex((x) => x.correlation.trace_id === r.traceId))
    expect(at.every((i) => i >= 0)).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
    expect(checkChain('rs-1/0', chain).problem).toBeNull()
    // the flawed target records again once the sink answers…
    await until('the flawed target recording again', async () => {
      const res = await call(flawed, 'EF-after')
      return (await flawed.world.recordsFor(res.traceId, 1, 500)).length > 0
    }, 5_000)
    // …but what it served during the outage left no record, and nothing says so
    const records = await flawed.world.records()
    for (const r of during.flawed) expect(records.some((x) => x.correlation.trace_id === r.traceId)).toBe(false)
    expect(records.some((x) => x.reason === 'system.evidence_gap')).toBe(false)
    expect(checkChain('rs-1/0', records.filter((r) => r.component === 'rs-1/0')).problem).toBeNull()
  })
})

describe('the chaos flaw table', () => {
  test('each chaos flaw names its control and the scenario that catches it (no attack case can: caughtBy is empty)', () => {
    for (const name of CHAOS_FLAWS) {
      const info = referenceTarget.flaws.find((f) => f.name === name) as { control: string; caughtBy: string[]; caughtByScenario?: string } | undefined
      expect(info, name).toBeDefined()
      expect(info!.caughtBy, name).toEqual([])
      expect(info!.caughtByScenario, name).toMatch(/^scenarios\/chaos-[a-z-]+\.ts$/)
      // the scenario is its own field (the CLI prints it), not repeated in the control text
      expect(info!.control, name).not.toContain('scenarios/')
    }
    expect(flawed.world.target.flaws).toEqual(CHAOS_FLAWS)
  })
})
