/**
 * The generators of replay.dpop-htu-origin.*, replay.dpop-jti-reuse.{after-1s,window-end} and
 * escalate.cross-tenant{,.write} on their own, with a fake ActionEnv that records what they send:
 * the origins a proof is bound to are never an equivalent spelling of the server's own, and never a
 * connection target; a later replay resends the very proof its original carried, after its wait,
 * with an iat just inside the declared window, and not at all when the run stops first; a
 * cross-tenant firing calls every tool of its kind once.
 */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { escalateCrossTenant, escalateCrossTenantWrite } from '../../../harness/attacks/rs/escalate-cross-tenant.ts'
import { alteredOrigin, otherHost, replayDpopHtuOtherResource, replayDpopHtuSpoofedForwardedHost, replayDpopHtuSpoofedHost } from '../../../harness/attacks/rs/replay-dpop-htu-origin.ts'
import { replayDpopJtiAfter1s, replayDpopJtiWindowEnd, WINDOW_END_MARGIN_S, WINDOW_END_WAIT_S } from '../../../harness/attacks/rs/replay-dpop-jti-later.ts'
import type { ActionEnv } from '../../../harness/attacks/types.ts'
import type { CaseKit } from '../../../harness/attacks/kit.ts'
import { CaseNotCovered } from '../../../harness/attacks/types.ts'
import type { RunIdentity } from '../../../harness/contracts/identity.ts'
import type { ResourceServerInfo, StartedTarget, ToolSpec } from '../../../harness/contracts/target.ts'
import type { AttemptSpec, WireRequest } from '../../../harness/contracts/wire.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { unverifiedPayload } from '../../../harness/protocol/jws.ts'

const TOOLS: ToolSpec[] = [
  { name: 'ticket.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read', writes: false },
  { name: 'customer.read', method: 'GET', path: '/t/{tenant}/customers/{id}', scope: 'customers:read', writes: false },
  { name: 'refund.issue', method: 'POST', path: '/t/{tenant}/refunds', scope: 'refunds:write', writes: true, limit: { field: 'amount', max: 500 } },
  { name: 'note.write', method: 'POST', path: '/t/{tenant}/notes', scope: 'notes:write', writes: true },
]
const RS: ResourceServerInfo = { id: 'rs-1', audience: 'http://127.0.0.1:4100', origin: 'http://127.0.0.1:4100', tools: TOOLS }
const RS2: ResourceServerInfo = { id: 'rs-2', audience: 'http://127.0.0.1:4200', origin: 'http://127.0.0.1:4200', tools: [] }

const identity: RunIdentity = {
  ref: 'a1',
  kind: 'agent',
  clientId: 'c1',
  tenant: 't_1',
  principal: 'u1',
  // note.write deliberately not held: a tool without the scope would be refused for scope, not tenant
  scope: ['tickets:read', 'customers:read', 'refunds:write'],
  actors: ['c1'],
  credential: { accessToken: 'a.b.c', tokenHash: 'hash', key: generateIdentityKey() },
}

interface Sent {
  spec?: Omit<AttemptSpec, 'scenario' | 'rs' | 'signal'>
  req?: WireRequest
  at: number
}

function fakeEnv(o: { prepared?: unknown; status?: number; signal?: AbortSignal; resources?: ResourceServerInfo[] } = {}): { env: ActionEnv; sent: Sent[] } {
  const sent: Sent[] = []
  const record = (status: number) => ({ status, trace_id: 't' }) as never
  const env = {
    identity,
    rs: RS,
    target: { resources: o.resources ?? [RS, RS2] } as StartedTarget,
    scheduledAt: 0,
    salt: 12_345,
    signal: o.signal ?? new AbortController().signal,
    prepared: o.prepared,
    send: async (spec: Omit<AttemptSpec, 'scenario' | 'rs' | 'signal'>) => {
      sent.push({ spec, at: Date.now() })
      return { record: record(spec.kind === 'legit' ? (o.status ?? 200) : 401), proof: spec.proof ?? 'fresh.proof.sig' }
    },
    request: async (req: WireRequest) => {
      sent.push({ req, at: Date.now() })
      return { record: record(401), json: null }
    },
  } as unknown as ActionEnv
  return { env, sent }
}

const kitWith = (policy: StartedTarget['policy'], resources = [RS, RS2]): CaseKit => ({ target: { resources, policy } as StartedTarget }) as unknown as CaseKit

afterEach(() => {
  vi.useRealTimers()
})

describe('replay.dpop-htu-origin.*: another origin, in the proof only', () => {
  test.each([
    ['http://127.0.0.1:4100', 'host', 'http://localhost:4100'],
    ['http://localhost:4100', 'host', 'http://127.0.0.1:4100'],
    ['https://api.example.com', 'host', 'https://other-api-example-com.invalid'],
    ['http://127.0.0.1:4100', 'port', 'http://127.0.0.1:4101'],
    ['http://127.0.0.1:65535', 'port', 'http://127.0.0.1:1'],
    ['http://127.0.0.1:4100', 'scheme', 'https://127.0.0.1:4100'],
    ['https://api.example.com', 'scheme', 'http://api.example.com:443'],
    ['http://[::1]:4100', 'host', 'http://localhost:4100'],
  ] as const)('%s with another %s → %s, which no normalisation makes the same origin', (origin, part, expected) => {
    const altered = alteredOrigin(origin, part)
    expect(altered).toBe(expected)
    expect(new URL(altered).origin).not.toBe(new URL(origin).origin)
  })

  test('otherHost never returns the host it was given, in any case', () => {
    for (const h of ['127.0.0.1', 'LOCALHOST', 'rs.example', 'a.b.c.d.e']) expect(otherHost(h).toLowerCase()).not.toBe(h.toLowerCase())
  })

  test('spoofed-host: the connection still goes to the resource server\'s origin; only the Host header and the proof name the other host', async () => {
    for (const [mod, header] of [[replayDpopHtuSpoofedHost, 'host'], [replayDpopHtuSpoofedForwardedHost, 'x-forwarded-host']] as const) {
      const { env, sent } = fakeEnv()
      await mod.fire.call(mod, env)
      expect(sent).toHaveLength(1)
      const req = sent[0].req!
      expect(req.origin).toBe(RS.origin)
      expect(req.headers).toContainEqual([header, 'localhost:4100'])
      const proof = req.headers!.find(([n]) => n === 'dpop')![1]
      expect(unverifiedPayload(proof)).toMatchObject({ htu: `http://localhost:4100${req.path}`, htm: 'GET' })
    }
  })

  test('other-resource: the proof names the other resource server\'s origin; not covered when the target has one origin', async () => {
    const { env, sent } = fakeEnv()
    await replayDpopHtuOtherResource.fire.call(replayDpopHtuOtherResource, env)
    const req = sent[0].req!
    expect(req.origin).toBe(RS.origin)
    expect(unverifiedPayload(req.headers!.find(([n]) => n === 'dpop')![1])?.htu).toBe(`${RS2.origin}${req.path}`)
    await expect(replayDpopHtuOtherResource.prepare!(kitWith(undefined, [RS, { ...RS2, origin: RS.origin }]))).rejects.toBeInstanceOf(CaseNotCovered)
  })
})

describe('replay.dpop-jti-reuse.{after-1s,window-end}: the same proof, later', () => {
  test('after-1s: the original as legit traffic, then its very proof as the attack, no sooner than 1 s later', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const { env, sent } = fakeEnv()
    const done = replayDpopJtiAfter1s.fire.call(replayDpopJtiAfter1s, env)
    await vi.advanceTimersByTimeAsync(999)
    expect(sent.map((s) => s.spec!.kind)).toEqual(['legit'])
    await vi.advanceTimersByTimeAsync(1)
    await done
    expect(sent.map((s) => s.spec!.kind)).toEqual(['legit', 'attack'])
    expect(sent[1].spec!.proof).toBe('fresh.proof.sig')
    expect(sent[1].spec!.caseId).toBe('replay.dpop-jti-reuse.after-1s')
    expect(sent[1].at - sent[0].at).toBe(1_000)
  })

  test('window-end: iat backdated so the copy lands the margin inside the declared window; the copy is the original\'s proof', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    const window = await replayDpopJtiWindowEnd.prepare!(kitWith({ dpopProofWindowS: 60 }))
    const { env, sent } = fakeEnv({ prepared: window })
    const done = replayDpopJtiWindowEnd.fire.call(replayDpopJtiWindowEnd, env)
    await vi.advanceTimersByTimeAsync(WINDOW_END_WAIT_S * 1000)
    await done
    expect(sent.map((s) => s.spec!.kind)).toEqual(['legit', 'attack'])
    const proof = sent[0].spec!.proof!
    expect(sent[1].spec!.proof).toBe(proof)
    const iat = unverifiedPayload(proof)!.iat as number
    // at the resend the proof is (window - margin) s old: inside the window, close to its end
    expect(sent[1].at / 1000 - iat).toBeCloseTo(60 - WINDOW_END_MARGIN_S, 0)
    expect(sent[1].at / 1000 - iat).toBeLessThan(60)
  })

  test('window-end is not covered without a declared window, or one too short for its wait', async () => {
    await expect(replayDpopJtiWindowEnd.prepare!(kitWith(undefined))).rejects.toThrow(/policy.dpopProofWindowS/)
    await expect(replayDpopJtiWindowEnd.prepare!(kitWith({ dpopProofWindowS: 5 }))).rejects.toBeInstanceOf(CaseNotCovered)
  })

  test('the run stopping during the wait cancels the copy at once; a refused original is not replayed', async () => {
    const stop = new AbortController()
    const { env, sent } = fakeEnv({ signal: stop.signal })
    const t0 = Date.now()
    const done = replayDpopJtiAfter1s.fire.call(replayDpopJtiAfter1s, env)
    setTimeout(() => stop.abort(), 50)
    await done
    expect(Date.now() - t0).toBeLessThan(900)
    expect(sent.map((s) => s.spec!.kind)).toEqual(['legit'])

    const refused = fakeEnv({ status: 401 })
    await replayDpopJtiAfter1s.fire.call(replayDpopJtiAfter1s, refused.env)
    expect(refused.sent.map((s) => s.spec!.kind)).toEqual(['legit'])
  })
})

describe('escalate.cross-tenant{,.write}: every tool of its kind the agent holds, under the other tenant', () => {
  test.each([
    [escalateCrossTenant, ['ticket.read', 'customer.read']],
    [escalateCrossTenantWrite, ['refund.issue']],
  ] as const)('%#: one attempt per tool, each under the victim tenant and expecting it', async (mod, tools) => {
    const { env, sent } = fakeEnv({ prepared: ['t_1', 't_2'] })
    await mod.fire.call(mod, env)
    expect(sent.map((s) => s.spec!.tool.name)).toEqual(tools)
    for (const s of sent) {
      expect(s.spec).toMatchObject({ kind: 'attack', caseId: mod.id, tenant: 't_2', expected: { tenant: 't_2', client_id: 'c1' } })
      if (s.spec!.tool.writes) expect((s.spec!.body as { amount: number }).amount).toBeLessThanOrEqual(500)
    }
  })
})
