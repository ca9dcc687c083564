/**
 * Every resource-server case against the correct reference target, in one catalog sweep: each
 * attempt must get one of the catalog's responses, a joined evidence record with the catalog's
 * decision, reason area and attribution, and each case must grade `pass`. Controls (a correct
 * target accepts them) must get 200 and an allow record.
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { matchesExpected } from '../../../harness/oracle/grade-attempt.ts'
import { RESOURCE_SERVER_CASES } from '../../../harness/attacks/catalog/resource-server-cases.ts'
import type { AttackCase } from '../../../harness/contracts/attack-case.ts'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { reasonArea, type EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { randomHex } from '../../../harness/protocol/random-id.ts'
import { sweep, type SweepResult } from '../../../harness/selftest/sweep.ts'
import { referenceTarget } from '../../../targets/reference/adapter.ts'

const dataDir = path.join('.tmp', `spec-rs-cases-${randomHex(4)}`)
let result: SweepResult

beforeAll(async () => {
  result = await sweep({ adapter: referenceTarget, cases: RESOURCE_SERVER_CASES.map((c) => c.id), attemptsPerCase: 2, dataDir })
}, 240_000)

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

const is2xx = (s: number | null): boolean => s !== null && s >= 200 && s < 300
const show = (a: AttemptRecord, r: EvidenceRecord | undefined): string =>
  `attempt ${a.seq} ${a.method} ${a.path}: ${a.status} ${a.challenge_scheme ?? '-'} ${a.error_code ?? '-'}; record ${r ? `${r.decision} ${r.reason} ${JSON.stringify(r.principal)} [${r.actors.join(' > ')}] ${JSON.stringify(r.detail ?? {})}` : 'none'}`

function attemptsOf(id: string): AttemptRecord[] {
  return result.attempts.filter((a) => a.kind === 'attack' && a.case === id)
}

function recordOf(a: AttemptRecord, decision: 'allow' | 'deny'): EvidenceRecord | undefined {
  const records = result.records.get(a.seq) ?? []
  return records.find((r) => r.decision === decision) ?? records[0]
}

/** The response is a listed alternative, and the record carries the decision, area and attribution. */
function expectConforming(c: AttackCase, a: AttemptRecord, accepted: boolean): void {
  const r = recordOf(a, accepted ? 'allow' : 'deny')
  const why = show(a, r)
  if (accepted) expect(a.status, why).toBe(200)
  else expect(matchesExpected(a, c.expect), `${why}; expected ${JSON.stringify(c.expect)}`).toBe(true)
  expect(r, why).toBeDefined()
  expect(r!.decision, why).toBe(accepted ? 'allow' : 'deny')
  expect(reasonArea(r!.reason), why).toBe(accepted ? 'ok' : c.evidence.area)
  if (c.evidence.attribution === 'anonymous') {
    expect(r!.principal, why).toEqual({ sub: null, type: 'anonymous' })
    expect(r!.actors, why).toEqual([])
  } else {
    expect(r!.principal, why).toEqual(a.expected.principal)
    expect(r!.actors, why).toEqual(a.expected.actors)
  }
}

function expectCasePasses(id: string): void {
  const row = result.run.cases.find((r) => r.id === id)
  expect(row?.verdict, JSON.stringify(row?.examples ?? row)).toBe('pass')
}

/** Case-specific facts on top of the catalog's (who the record must name, beyond `expected`). */
const EXTRA: Record<string, (a: AttemptRecord, r: EvidenceRecord) => void> = {
  'escalate.nested-act': (a, r) => {
    // current actor (the sub-agent) first, then its parent: the full chain
    expect(r.actors).toHaveLength(2)
    expect(r.client_id).toBe(a.expected.client_id)
    expect(r.scope?.held).not.toContain(r.scope?.required?.[0])
  },
  'escalate.cross-tenant': (a, r) => {
    expect(r.resource.tenant).toBe(a.expected.tenant)
    expect(r.detail?.token_tenant).not.toBe(a.expected.tenant)
  },
  'escalate.cross-tenant.write': (a, r) => {
    expect(r.resource.tenant).toBe(a.expected.tenant)
    expect(r.detail?.token_tenant).not.toBe(a.expected.tenant)
    // the refused write was checked against the target's state, and nothing was written
    expect(a.side_effect).toBe(false)
  },
  ...Object.fromEntries(
    ['other-host', 'other-port', 'other-scheme', 'other-resource', 'spoofed-host', 'spoofed-forwarded-host'].map((v) => [
      `replay.dpop-htu-origin.${v}`,
      (a: AttemptRecord, r: EvidenceRecord) => {
        // the proof named this path at another origin than the one the request was sent to
        const claimed = new URL(String(r.detail?.claimed_htu))
        expect(claimed.pathname).toBe(a.path.split('?')[0])
        expect(claimed.origin).not.toBe(new URL(String(r.detail?.actual_htu)).origin)
      },
    ]),
  ),
  ...Object.fromEntries(
    [['after-1s', 1_000], ['window-end', 4_000]].map(([v, waitMs]) => [
      `replay.dpop-jti-reuse.${v}`,
      (a: AttemptRecord) => {
        // the copy went out the case's wait after its original was answered, never at once
        const original = result.attempts.find((o) => o.kind === 'legit' && o.group === a.group && o.seq < a.seq)
        expect(original?.status).toBe(200)
        expect(a.started_at - original!.ended_at).toBeGreaterThanOrEqual((waitMs as number) - 50)
      },
    ]),
  ),
  'escalate.subagent-passthrough': (a, r) => {
    // the parent's token: its principal and chain, not the sub-agent's
    expect(r.client_id).toBe(a.expected.client_id)
    expect(r.actors[0]).toBe(a.expected.client_id)
  },
  'unattributed.agent-as-user': (a, r) => {
    expect(r.principal).toEqual({ sub: a.expected.client_id, type: 'agent' })
    expect(r.actors).toEqual([])
  },
  'replay.cross-audience': (a, r) => {
    expect(r.resource.aud).toBe(a.expected.aud)
  },
  // not routed: the record names the path asked for and no tool (there is none), and who asked
  'escalate.internal-endpoint.admin-read': (a, r) => {
    expect(r).toMatchObject({ status: 404, error: 'not_found', resource: { method: 'GET', path: a.path } })
    expect(r.resource.tool).toBeUndefined()
    expect(r.client_id).toBe(a.expected.client_id)
  },
  'escalate.internal-endpoint.peer-push': (a, r) => {
    expect(r).toMatchObject({ status: 404, error: 'not_found', resource: { method: 'POST', path: a.path } })
    expect(r.resource.tool).toBeUndefined()
    expect(r.client_id).toBe(a.expected.client_id)
  },
}

describe('resource-server cases against the reference target', () => {
  test('the sweep graded every case id', () => {
    const ids = new Set(result.run.cases.map((r) => r.id))
    for (const c of RESOURCE_SERVER_CASES) expect(ids.has(c.id), c.id).toBe(true)
  })

  for (const c of RESOURCE_SERVER_CASES) {
    describe(c.id, () => {
      if (c.concurrency) {
        test(`each group: at most one accepted, the rest ${c.expect.map((e) => `${e.status} ${e.error}`).join(' / ')} with a ${c.evidence.area} deny record; verdict pass`, () => {
          const attempts = attemptsOf(c.id)
          expect(attempts.length).toBeGreaterThan(0)
          const groups = Map.groupBy(attempts, (a) => a.group ?? `(no group) ${a.seq}`)
          for (const members of groups.values()) {
            expect(members.length).toBeGreaterThan(1)
            const accepted = members.filter((a) => is2xx(a.status))
            expect(accepted.length, members.map((a) => show(a, recordOf(a, 'deny'))).join('\n')).toBeLessThanOrEqual(1)
            for (const a of members) expectConforming(c, a, is2xx(a.status))
          }
          expectCasePasses(c.id)
        })
        return
      }
      const what = c.control
        ? 'accepted: 200 and an allow record attributed to the token'
        : `refused with ${c.expect.map((e) => `${e.status} ${e.error ?? '(no error)'}`).join(' or ')}; ${c.evidence.area} deny record attributed to ${c.evidence.attribution === 'token' ? "the token's principal and actors" : 'nobody'}`
      test(`${what}; verdict pass`, () => {
        const attempts = attemptsOf(c.id)
        expect(attempts.length, `no attempt of ${c.id} was sent`).toBeGreaterThan(0)
        for (const a of attempts) {
          expectConforming(c, a, c.control === true)
          EXTRA[c.id]?.(a, recordOf(a, c.control ? 'allow' : 'deny')!)
        }
        expectCasePasses(c.id)
      })
    })
  }
})
