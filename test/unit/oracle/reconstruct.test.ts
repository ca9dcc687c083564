/**
 * oracle/reconstruct.ts: a transaction rebuilt from the target's records alone (docs/evidence-schema.md
 * "Token exchange links"), each way a link can go missing named, the seeded legitimate sample, and a
 * trail with no exchange at all left not covered (no gate sample), through the real run store.
 */
import { describe, expect, test } from 'vitest'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { rebuild, sampleLegit } from '../../../harness/oracle/reconstruct.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { chain, legit, recordFor } from './fixtures.ts'

const T = { assertion: tokenHash('assertion'), agent: tokenHash('agent token'), sub: tokenHash('sub token'), other: tokenHash('other') }

type Exchange = Partial<EvidenceRecord> & { correlation: EvidenceRecord['correlation'] }
const exchange = (id: string, clientId: string, actors: string[], token: string | null, subject: string | null, over: Partial<EvidenceRecord> = {}): Exchange => ({
  id, component: 'as', decision: 'allow', reason: 'ok', status: 200, principal: { sub: 'user_1', type: 'user' }, client_id: clientId, actors,
  resource: { tool: 'token.exchange' }, scope: { required: ['tickets:read'], held: ['tickets:read'] }, correlation: { token_hash: token, parent_token_hash: subject }, ...over,
})
const AGENT = exchange('ev_a', 'agent_1', ['agent_1'], T.agent, T.assertion)
const SUB = exchange('ev_s', 'subagent_1', ['subagent_1', 'agent_1'], T.sub, T.agent)

function links(...records: Exchange[]) {
  const all = chain(records)
  return { issuing: (h: string) => all.find((r) => r.decision === 'allow' && r.correlation.token_hash === h) }
}

const call = (a: AttemptRecord, over: Partial<EvidenceRecord> = {}): EvidenceRecord[] => chain([recordFor(a, { id: 'ev_call', ...over })])

describe('rebuild: one transaction from its records and the exchange records they link to', () => {
  const a = legit(1, { token_hash: T.sub })

  test('user → agent → sub-agent: hops the principal\'s first, ending at a token no exchange issued', () => {
    const t = rebuild(a, call(a), links(AGENT, SUB))
    expect(t).toMatchObject({ matched: true, rebuilt: { principal: 'user_1', actors: ['subagent_1', 'agent_1'] }, root_token_hash: T.assertion, call: { record_id: 'ev_call', token_hash: T.sub } })
    expect(t.hops.map((h) => [h.record_id, h.token_hash, h.parent_token_hash, h.scope_held])).toEqual([['ev_a', T.agent, T.assertion, ['tickets:read']], ['ev_s', T.sub, T.agent, ['tickets:read']]])
    expect(t.mismatch).toBeUndefined()
  })

  test.each([
    ['no record joined the call', [], links(AGENT, SUB), /^no record of the call joined it/],
    ['the call\'s record names no token', call(a, { correlation: { trace_id: a.trace_id, token_hash: null } }), links(AGENT, SUB), new RegExp(`^the call's record ev_call names no token \\(correlation.token_hash\\); the harness presented ${T.sub}`)],
    ['the call\'s record names another token', call(a, { correlation: { trace_id: a.trace_id, token_hash: T.other } }), links(AGENT, SUB), new RegExp(`^the call's record ev_call names token ${T.other}; the harness presented ${T.sub}`)],
    ['no exchange issued the token (the subject in token_hash)', call(a), links(exchange('ev_s', 'subagent_1', ['subagent_1', 'agent_1'], T.agent, null)), new RegExp(`^no exchange record issued token ${T.sub}`)],
    ['an exchange names no subject', call(a), links(AGENT, exchange('ev_s', 'subagent_1', ['subagent_1', 'agent_1'], T.sub, null)), /^exchange record ev_s names no subject token \(correlation.parent_token_hash\): the link to whoever delegated to subagent_1 is missing/],
    ['records that link in a loop', call(a), links(exchange('ev_a', 'agent_1', ['agent_1'], T.agent, T.sub), SUB), /link more than \d+ deep/],
  ])('%s → not rebuilt, and the mismatch says which link', (_, records, l, why) => {
    const t = rebuild(a, records as EvidenceRecord[], l)
    expect(t.matched).toBe(false)
    expect(t.rebuilt).toBeNull()
    expect(t.mismatch).toMatch(why)
  })

  test('rebuilt, but another party: the trail\'s chain beside the harness\'s', () => {
    const t = rebuild(a, call(a), links(exchange('ev_a', 'agent_9', ['agent_9'], T.agent, T.assertion), SUB))
    expect(t).toMatchObject({ matched: false, rebuilt: { principal: 'user_1', actors: ['subagent_1', 'agent_9'] } })
    expect(t.mismatch).toBe('the trail says user_1 → agent_9 → subagent_1; the harness acted as user_1 → agent_1 → subagent_1')
  })

  test('hops acting for different principals do not rebuild as one delegation', () => {
    const t = rebuild(a, call(a), links(exchange('ev_a', 'agent_1', ['agent_1'], T.agent, T.assertion, { principal: { sub: 'user_2', type: 'user' } }), SUB))
    expect(t.matched).toBe(false)
    expect(t.mismatch).toBe('exchange record ev_s acts for user_1, the exchange it follows for user_2')
  })

  test('an exchange attempt: the call is the exchange record itself, followed up from its subject', () => {
    const x = legit(2, { token_hash: null, tool: 'token.exchange' })
    const t = rebuild(x, chain([{ ...SUB, id: 'ev_x', correlation: { ...SUB.correlation, trace_id: x.trace_id } }]), links(AGENT))
    expect(t).toMatchObject({ matched: true, rebuilt: { principal: 'user_1', actors: ['subagent_1', 'agent_1'] } })
    expect(t.hops.map((h) => h.record_id)).toEqual(['ev_a', 'ev_x'])
  })

  test('no credential sent and none recorded: nobody acted for anyone, as the harness says', () => {
    const anon = legit(3, { token_hash: null, expected: { ...legit(3).expected, principal: { sub: null, type: 'anonymous' }, actors: [], client_id: null } })
    const t = rebuild(anon, call(anon, { principal: { sub: null, type: 'anonymous' }, actors: [], correlation: { trace_id: anon.trace_id } }), links(AGENT))
    expect(t).toMatchObject({ matched: true, rebuilt: { principal: null, actors: [] }, hops: [] })
  })
})

describe('sampleLegit: seeded, agents and sub-agents alike, bounded', () => {
  const attempts = Array.from({ length: 200 }, (_, i) => legit(i + 1, {
    identity: `id${i % 40}`,
    ...(i % 3 === 0 ? { expected: { ...legit(1).expected, actors: ['agent_1'], client_id: 'agent_1' } } : {}),
    ...(i % 5 === 0 ? { kind: 'attack' as const, case: 'escalate.tool-scope' } : {}),
  }))
  const source = { seqRange: () => ({ min: 1, max: 200 }), recordedLegit: (seq: number) => attempts.find((a) => a.seq === seq && a.kind === 'legit') }

  test('the same seed gives the same sample; another seed another; half agents, half sub-agents, one per identity', () => {
    const one = sampleLegit(source, 7, 20).map((a) => a.seq)
    expect(sampleLegit(source, 7, 20).map((a) => a.seq)).toEqual(one)
    expect(sampleLegit(source, 8, 20).map((a) => a.seq)).not.toEqual(one)
    const picked = sampleLegit(source, 7, 20)
    expect(picked).toHaveLength(20)
    expect(picked.filter((a) => a.expected.actors.length === 1)).toHaveLength(10)
    expect(new Set(picked.map((a) => a.identity)).size).toBe(20)
    expect(picked.every((a) => a.kind === 'legit')).toBe(true)
    expect(picked.map((a) => a.seq)).toEqual([...one].sort((x, y) => x - y))
  })

  test('only agents: the sample fills up with them; nothing recorded: an empty sample after a bounded number of probes', () => {
    const agentsOnly = { ...source, recordedLegit: (seq: number) => { const a = source.recordedLegit(seq); return a?.expected.actors.length === 1 ? a : undefined } }
    expect(sampleLegit(agentsOnly, 7, 20).length).toBeGreaterThanOrEqual(20)
    let probes = 0
    const nothing = { seqRange: () => ({ min: 1, max: 1_000_000 }), recordedLegit: () => void probes++ }
    expect(sampleLegit(nothing, 7, 20)).toEqual([])
    expect(probes).toBeLessThanOrEqual(20 * 50)
  })
})

describe('reconstruct over the run store: not covered without exchanges, judged with them', () => {
  const a = legit(1, { token_hash: T.sub })
  const base = { attempts: [a], evidence: chain([recordFor(a)]), catalog: CATALOG, durationS: 1 }

  test('a trail with no exchange record: not covered, no sample, the gate holds with nothing observed', () => {
    const g = gradeRecords({ ...base, before: [] })
    expect(g.reconstruction).toMatchObject({ sampled: 0, not_covered: expect.stringMatching(/^the target records no token exchange/) })
    expect(g.gates.find((x) => x.metric === 'gatecrash_reconstruction')).toMatchObject({ ok: true, observed: null })
  })

  test('a run store that did not keep provisioning\'s exchanges (made before grader 5): not covered, saying why', () => {
    expect(gradeRecords(base).reconstruction.not_covered).toMatch(/^the run store predates reconstruction/)
  })

  test('provisioning\'s exchanges kept: the legitimate call rebuilt, one passing sample; a broken link fails the gate with its detail', () => {
    const ok = gradeRecords({ ...base, before: chain([AGENT, SUB]) })
    expect(ok.reconstruction).toMatchObject({ sampled: 1, legit: 1, rebuilt: 1, matched: 1 })
    expect(ok.gates.find((x) => x.metric === 'gatecrash_reconstruction')).toMatchObject({ ok: true, observed: 1 })
    const broken = gradeRecords({ ...base, before: chain([AGENT, exchange('ev_s', 'subagent_1', ['subagent_1', 'agent_1'], T.sub, null)]) })
    expect(broken.gates.find((x) => x.metric === 'gatecrash_reconstruction')).toMatchObject({
      ok: false, observed: 0, detail: '1 of 1 transactions not rebuilt from evidence; trace trace0001 (legit): exchange record ev_s names no subject token (correlation.parent_token_hash): the link to whoever delegated to subagent_1 is missing',
    })
  })
})
