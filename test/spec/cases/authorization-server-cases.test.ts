/**
 * Every authorization-server case against the correct reference target: one catalog sweep, then per
 * case id, for every attack attempt it sent: the response is one the catalog lists, the joined
 * evidence record is a deny in the case's reason area that attributes the attempt as the case says,
 * and the oracle grades it `pass`. Legitimate traffic sent alongside (including the lifecycle cases'
 * key rotation in prepare) must still pass.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import type { AttackCase } from '../../../harness/contracts/attack-case.ts'
import { AUTHORIZATION_SERVER_CASES } from '../../../harness/attacks/catalog/authorization-server-cases.ts'
import { reasonArea, type EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { sweep, type SweepResult } from '../../../harness/selftest/sweep.ts'
import { referenceTarget } from '../../../targets/reference/adapter.ts'

const log: string[] = []
let dir: string
let result: SweepResult

beforeAll(async () => {
  await mkdir('.tmp', { recursive: true })
  dir = await mkdtemp(path.resolve('.tmp', 'as-cases-'))
  result = await sweep({
    adapter: referenceTarget,
    cases: AUTHORIZATION_SERVER_CASES.map((c) => c.id),
    attemptsPerCase: 2,
    dataDir: dir,
    log: (line) => log.push(line),
  })
}, 240_000)

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const shown = (a: AttemptRecord): string => `#${a.seq} ${a.tool}: ${a.status} ${a.challenge_scheme ?? '-'} ${a.error_code ?? '-'}`

function listed(c: AttackCase, a: AttemptRecord): boolean {
  return c.expect.some((e) => e.status === a.status && e.error === a.error_code && (e.scheme === undefined || e.scheme.toLowerCase() === (a.challenge_scheme ?? '').toLowerCase()))
}

/** Attribution the case defines: nobody, or exactly the attempt's expected principal, actors and client. */
function expectAttribution(c: AttackCase, a: AttemptRecord, r: EvidenceRecord): void {
  const where = `${c.id} ${shown(a)} record ${r.id} (${r.reason})`
  expect(r.resource.tool, where).toBe(a.expected.tool)
  if (c.evidence.attribution === 'anonymous') {
    expect(r.principal, where).toEqual({ sub: null, type: 'anonymous' })
    expect(r.client_id ?? null, where).toBeNull()
    expect(r.actors, where).toEqual([])
    return
  }
  // the current actor is always the client the attempt authenticated as (or whose token it carries)
  if (a.expected.actors.length > 0) expect(a.expected.actors[0], where).toBe(a.expected.client_id)
  expect(r.principal.sub, where).toBe(a.expected.principal.sub)
  expect(r.principal.type, where).toBe(a.expected.principal.type)
  expect(r.actors, where).toEqual(a.expected.actors)
  expect(r.client_id ?? null, where).toBe(a.expected.client_id)
  if (a.expected.client_id !== null) expect(r.resource.tenant, where).toBe(a.expected.tenant)
}

/**
 * An issued-token case the target answered with a token (RFC 8693 §2.2.1, RFC 6749 §3.3: a server
 * may grant less than asked instead of refusing): the token holds scope, none beyond the attempt's
 * ceiling, its audience is the ceiling's, and its allow record attributes it as a legitimate exchange.
 */
function expectLawfulGrant(c: AttackCase, a: AttemptRecord): void {
  const where = `${c.id} ${shown(a)}`
  expect(a.ceiling, `${where}: an issued-token attempt states its ceiling`).toBeDefined()
  expect(a.issued, `${where}: the attempt log read the issued token`).toBeDefined()
  expect(a.issued!.scope.length, where).toBeGreaterThan(0)
  expect(a.issued!.scope.filter((x) => !a.ceiling!.scope.includes(x)), `${where}: scope beyond the ceiling ${a.ceiling!.scope.join(' ')}`).toEqual([])
  if (a.ceiling!.aud != null) expect(a.issued!.aud, where).toBe(a.ceiling!.aud)
  const records = result.records.get(a.seq) ?? []
  expect(records, `evidence for ${where}`).toHaveLength(1)
  expect(records[0].decision, where).toBe('allow')
  expectAttribution(c, a, records[0])
  const graded = result.verdicts.get(a.seq)!
  expect(graded.verdict, `${where}: ${graded.why}`).toBe('pass')
}

for (const c of AUTHORIZATION_SERVER_CASES.filter((x) => x.control)) {
  describe(c.id, () => {
    test(`${c.refs.join(', ')}: a control, accepted with ${c.expect.map((e) => e.status).join(' or ')} and an allow record attributed as expected, verdict pass`, () => {
      const attempts = result.attempts.filter((a) => a.kind === 'attack' && a.case === c.id)
      expect(attempts.length, `no attempt was sent for ${c.id}: ${log.filter((l) => l.includes(c.id)).join('\n')}`).toBeGreaterThan(0)
      for (const a of attempts) {
        expect(listed(c, a), shown(a)).toBe(true)
        const records = result.records.get(a.seq) ?? []
        expect(records, `evidence for ${shown(a)}`).toHaveLength(1)
        expect(records[0].decision, shown(a)).toBe('allow')
        expect(records[0].principal, shown(a)).toEqual(a.expected.principal)
        expect(records[0].actors, shown(a)).toEqual(a.expected.actors)
        expect(records[0].client_id ?? null, shown(a)).toBe(a.expected.client_id)
        expect(records[0].resource.tool, shown(a)).toBe(a.expected.tool)
        const graded = result.verdicts.get(a.seq)!
        expect(graded.verdict, `${shown(a)}: ${graded.why}`).toBe('pass')
      }
    })
  })
}

for (const c of AUTHORIZATION_SERVER_CASES.filter((x) => !x.control)) {
  describe(c.id, () => {
    const answer = c.expect.map((e) => `${e.status} ${e.scheme ?? ''} ${e.error}`.replace('  ', ' ')).join(' or ')
    test(`${c.refs.join(', ')}: refused with ${answer}${c.judge === 'issued-token' ? ' (or a token within the ceiling, allow record)' : ''}, deny record in area ${c.evidence.area}, attribution ${c.evidence.attribution}, verdict pass`, () => {
      const attacks = result.attempts.filter((a) => a.kind === 'attack' && a.case === c.id)
      const why = log.filter((l) => l.includes(c.id)).join('\n') || 'no sweep log line names it'
      expect(attacks.length, `no attack attempt was sent for ${c.id}: ${why}`).toBeGreaterThan(0)
      for (const a of attacks) {
        expect(a.transport_error, shown(a)).toBeNull()
        if (c.judge === 'issued-token' && a.status === 200) {
          expectLawfulGrant(c, a)
          continue
        }
        expect(listed(c, a), `${shown(a)}; catalog lists ${answer}`).toBe(true)
        const records = result.records.get(a.seq) ?? []
        expect(records, `evidence for ${shown(a)}`).toHaveLength(1)
        const r = records[0]
        expect(r.decision, shown(a)).toBe('deny')
        expect(reasonArea(r.reason), `${shown(a)} recorded ${r.reason}`).toBe(c.evidence.area)
        expectAttribution(c, a, r)
        const graded = result.verdicts.get(a.seq)!
        expect(graded.verdict, `${shown(a)}: ${graded.why}`).toBe('pass')
      }
    })
  })
}

// The reference's default when no scope is asked for (RFC 6749 §3.3 "pre-defined default"): all the
// client may hold, so omitted and empty scope are served with exactly the ceiling, never refused.
describe('escalate.exchange-scope.omitted, escalate.exchange-scope.empty: the correct reference serves its default', () => {
  test('RFC 6749 §3.2, §3.3: no scope and scope= both get a token of exactly the ceiling (registration ∩ subject ∩ resource)', () => {
    for (const id of ['escalate.exchange-scope.omitted', 'escalate.exchange-scope.empty']) {
      const attacks = result.attempts.filter((a) => a.kind === 'attack' && a.case === id)
      expect(attacks.length, id).toBeGreaterThan(0)
      for (const a of attacks) {
        expect(a.status, `${id} ${shown(a)}`).toBe(200)
        expect([...a.issued!.scope].sort(), `${id} ${shown(a)}`).toEqual([...a.ceiling!.scope].sort())
      }
    }
  })
})

describe('legitimate traffic next to the authorization-server cases', () => {
  test('every legitimate attempt (workflows, the jti-reuse original) is served and recorded as an allow: pass', () => {
    const legit = result.attempts.filter((a) => a.kind === 'legit')
    expect(legit.length).toBeGreaterThan(0)
    expect(legit.some((a) => a.tool === 'token.exchange'), 'the jti-reuse case sends its original exchange as legitimate traffic').toBe(true)
    for (const a of legit) {
      const g = result.verdicts.get(a.seq)!
      expect(g.verdict, `${shown(a)}: ${g.why}`).toBe('pass')
    }
  })
})
