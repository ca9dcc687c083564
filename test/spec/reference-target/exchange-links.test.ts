/**
 * docs/evidence-schema.md "Token exchange links" on the reference target: an exchange record's
 * correlation.token_hash is the issued token's hash and its parent_token_hash the subject token's,
 * so a sub-agent's tool call traces back from its record alone, exchange by exchange, to the
 * user's assertion (oracle/reconstruct.ts rebuild). Flaw `evidence-exchange-unlinked` breaks that
 * link and nothing else: every record is still written, the chain no longer rebuilds.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { isExchangeRecord, type EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { rebuild } from '../../../harness/oracle/reconstruct.ts'
import { ath } from './helpers/client-crypto.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { World, type HttpResult } from './helpers/world.ts'

interface Setup {
  world: World
  pop: Population
  call: HttpResult
  records: EvidenceRecord[]
}

/** The population, one tool call by the sub-agent, and every record written by then. */
async function setUp(flaws: string[]): Promise<Setup> {
  const world = await World.start(flaws)
  const pop = await populate(world)
  const call = await world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/tickets/T-1`)
  expect(call.status).toBe(200)
  await world.recordFor(call.traceId)
  return { world, pop, call, records: await world.records() }
}

/** The call as the harness would log it, for rebuild(). */
function attemptOf(s: Setup): AttemptRecord {
  return {
    seq: 1, trace_id: s.call.traceId, request_id: 'r', kind: 'legit', scenario: 'spec', scheduled_at: 0, started_at: 0, ended_at: 0,
    method: 'GET', path: `/t/${TENANT}/tickets/T-1`, tool: 'ticket.read', status: 200, error_code: null, challenge_scheme: null, transport_error: null,
    expected: { principal: { sub: USER.sub, type: 'user' }, actors: [s.pop.sub.clientId, s.pop.agent.clientId], client_id: s.pop.sub.clientId, tenant: TENANT, tool: 'ticket.read', aud: s.world.rs.audience },
    token_hash: ath(s.pop.subToken),
  }
}

function rebuildCall(s: Setup) {
  const issuing = (h: string) => s.records.find((r) => isExchangeRecord(r) && r.decision === 'allow' && r.correlation.token_hash === h)
  return rebuild(attemptOf(s), s.records.filter((r) => r.correlation.trace_id === s.call.traceId), { issuing })
}

const exchangeBy = (s: Setup, clientId: string) => s.records.find((r) => isExchangeRecord(r) && r.client_id === clientId)

describe('correct target: each exchange record links the token it issued to the one exchanged for it', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp([])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test('agent: issued = its token, subject = the user\'s assertion; sub-agent: issued = its token, subject = the agent\'s', () => {
    expect(exchangeBy(s, s.pop.agent.clientId)?.correlation).toMatchObject({ token_hash: ath(s.pop.agentToken), parent_token_hash: ath(s.pop.assertion) })
    expect(exchangeBy(s, s.pop.sub.clientId)?.correlation).toMatchObject({ token_hash: ath(s.pop.subToken), parent_token_hash: ath(s.pop.agentToken) })
  })

  test('the sub-agent\'s tool call rebuilds from the records alone: user → agent → sub-agent, ending at the assertion', () => {
    const t = rebuildCall(s)
    expect(t.mismatch).toBeUndefined()
    expect(t).toMatchObject({ matched: true, rebuilt: { principal: USER.sub, actors: [s.pop.sub.clientId, s.pop.agent.clientId] }, root_token_hash: ath(s.pop.assertion) })
    expect(t.hops.map((h) => [h.client_id, h.token_hash, h.parent_token_hash])).toEqual([
      [s.pop.agent.clientId, ath(s.pop.agentToken), ath(s.pop.assertion)],
      [s.pop.sub.clientId, ath(s.pop.subToken), ath(s.pop.agentToken)],
    ])
  })
})

describe('flaw evidence-exchange-unlinked: exchange records name the subject token where the issued one belongs, and no parent', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp(['evidence-exchange-unlinked'])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test('the records are all there and right otherwise, but the links are gone', () => {
    expect(exchangeBy(s, s.pop.agent.clientId)).toMatchObject({ decision: 'allow', principal: { sub: USER.sub }, actors: [s.pop.agent.clientId], correlation: { token_hash: ath(s.pop.assertion), parent_token_hash: null } })
    expect(exchangeBy(s, s.pop.sub.clientId)).toMatchObject({ decision: 'allow', actors: [s.pop.sub.clientId, s.pop.agent.clientId], correlation: { token_hash: ath(s.pop.agentToken), parent_token_hash: null } })
  })

  test('the sub-agent\'s tool call no longer rebuilds: no exchange record issued its token', () => {
    const t = rebuildCall(s)
    expect(t).toMatchObject({ matched: false, rebuilt: null, mismatch: `no exchange record issued token ${ath(s.pop.subToken)} (none has it as correlation.token_hash): who delegated it is not in the trail` })
  })
})
