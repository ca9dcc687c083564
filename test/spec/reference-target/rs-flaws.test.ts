/**
 * Resource-server flaw switches: for each one, the correct target refuses an attack (status, error,
 * deny record) and a replica carrying the flaw accepts it or records it wrongly. The correct side is
 * the started target's front; the flawed side is a replica built in this process by the replica
 * process's own factory (helpers/local-replica.ts), wired to the same AS, replay store and sink, so
 * each flaw is tested alone without starting a 9-process target per flaw. flaws.test.ts and
 * topology.test.ts start whole flawed targets, which shows the adapter hands flaws to every process.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer as createTcpServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client, request } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { alteredOrigin, otherHost } from '../../../harness/attacks/rs/replay-dpop-htu-origin.ts'
import { AFTER_MS, WINDOW_END_MARGIN_S, WINDOW_END_WAIT_S } from '../../../harness/attacks/rs/replay-dpop-jti-later.ts'
import { checkChain } from '../../../harness/evidence/integrity.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { startSink } from '../../../targets/reference/evidence-sink/sink.ts'
import { RoundRobinProxy } from '../../../targets/reference/front/round-robin-proxy.ts'
import { dpopProof, newKeyPair } from './helpers/client-crypto.ts'
import { breakSignature, decodePart, tamperClaims, TestIssuer, unsignedCopy, unverifiableProof } from './helpers/forge.ts'
import { serve, startLocalReplica, type LocalServer } from './helpers/local-replica.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { TYPE_JWT, World, type CallOptions, type HttpResult } from './helpers/world.ts'

let world: World
let pop: Population
/** a second token of the agent for USER (same key): the other half of an ath swap */
let agentToken2: string
/** the agent's own client_credentials token: no act, principal type agent */
let ownToken: string
const cleanup: (() => Promise<void>)[] = []
const tested = new Map<string, string>()

beforeAll(async () => {
  world = await World.start()
  pop = await populate(world)
  const again = await world.exchange(pop.agent, pop.assertion, TYPE_JWT)
  agentToken2 = again.body.access_token as string
  const own = await world.token(pop.agent, { grant_type: 'client_credentials', resource: world.rs.audience, scope: 'tickets:read' })
  expect(own.status, JSON.stringify(own.body)).toBe(200)
  ownToken = own.body.access_token as string
})
afterAll(async () => {
  await Promise.allSettled(cleanup.map((c) => c()))
  await world?.stop()
})

/** A replica with exactly this flaw, in this process (closed after the file). */
async function flawed(flaw: string, o: Parameters<typeof startLocalReplica>[2] = {}): Promise<LocalServer & { node: string }> {
  const replica = await startLocalReplica(world, [flaw], o)
  cleanup.push(() => replica.close())
  return replica
}

/** Registers a test for `flaw`, caught by `caseId`; the last test checks every RS flaw has one. */
function flawTest(flaw: string, caseId: string, title: string, fn: () => Promise<void>): void {
  tested.set(flaw, caseId)
  test(`${flaw} · ${caseId}: ${title}`, fn)
}

async function refused(res: HttpResult, status: number, error: string | undefined, reason: string): Promise<EvidenceRecord> {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  expect(res.body.error).toBe(error)
  const r = await world.recordFor(res.traceId)
  expect(r).toMatchObject({ decision: 'deny', status, reason })
  return r
}

async function served(res: HttpResult): Promise<EvidenceRecord> {
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  const r = await world.recordFor(res.traceId)
  expect(r).toMatchObject({ decision: 'allow', status: 200, reason: 'ok' })
  return r
}

const ticket = (id: string): string => `/t/${TENANT}/tickets/${id}`
const call = (token: string, method: 'GET' | 'POST', path: string, o: CallOptions = {}): Promise<HttpResult> => world.call(pop.agent, token, method, path, o)

describe('replay (RFC 9449 §11.1)', () => {
  flawTest('replay-cache-off', 'replay.dpop-jti-reuse', 'a proof sent twice: correct → 401 invalid_dpop_proof (dpop.jti_replay); flawed → served twice', async () => {
    const replica = await flawed('replay-cache-off')
    for (const via of [undefined, replica.url]) {
      const proof = await world.proofFor(pop.agent, 'GET', ticket('RP-1'), pop.agentToken)
      expect((await call(pop.agentToken, 'GET', ticket('RP-1'), { proof, via })).status).toBe(200)
      const again = await call(pop.agentToken, 'GET', ticket('RP-1'), { proof, via })
      if (via === undefined) await refused(again, 401, 'invalid_dpop_proof', 'dpop.jti_replay')
      else await served(again)
    }
  })

  flawTest('replay-cache-per-replica', 'replay.dpop-jti-reuse.parallel', '6 parallel sends of one proof over separate connections: correct → one 200; two flawed replicas behind a front → more than one', async () => {
    const [a, b] = [await flawed('replay-cache-per-replica', { node: 'rs-1/local-a' }), await flawed('replay-cache-per-replica', { node: 'rs-1/local-b' })]
    const proxy = new RoundRobinProxy()
    proxy.setUpstreams([a.url, b.url])
    const sockets = new Set<Socket>()
    const front = createTcpServer((s) => (sockets.add(s), proxy.handle(s)))
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    cleanup.unshift(() => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), front.close(() => resolve()))))
    const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`
    const burst = async (base: string, via?: string): Promise<number> => {
      const proof = await world.proofFor(pop.agent, 'GET', ticket('PAR'), pop.agentToken)
      const clients = Array.from({ length: 6 }, () => new Client(base))
      const results = await Promise.all(clients.map((dispatcher) => call(pop.agentToken, 'GET', ticket('PAR'), { proof, dispatcher, via })))
      await Promise.all(clients.map((c) => c.close()))
      return results.filter((r) => r.status === 200).length
    }
    expect(await burst(world.rs.origin)).toBe(1)
    expect(await burst(frontUrl, frontUrl)).toBeGreaterThan(1)
  })

  /**
   * The original, then the same proof again after `waitMs`: the correct target refuses the copy as a
   * replay, the flawed replica serves it. Each side gets its own proof (the replay store is shared).
   * `iat` backdates the proof (window-end), so the copy lands just inside the 60 s iat window.
   */
  async function resendAfter(via: string | undefined, id: string, waitMs: number, iat?: number): Promise<HttpResult> {
    const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu: `${world.rs.origin}${ticket(id)}`, accessToken: pop.agentToken, iat })
    expect((await call(pop.agentToken, 'GET', ticket(id), { proof, via })).status).toBe(200)
    await new Promise((r) => setTimeout(r, waitMs))
    return call(pop.agentToken, 'GET', ticket(id), { proof, via })
  }

  flawTest('replay-cache-ttl-seconds', 'replay.dpop-jti-reuse.after-1s', 'a proof resent 1 s later: correct → 401 invalid_dpop_proof (dpop.jti_replay); a store told 120 (s meant, ms read) → served', async () => {
    const replica = await flawed('replay-cache-ttl-seconds')
    const [ok, bad] = await Promise.all([resendAfter(undefined, 'RL-1', AFTER_MS), resendAfter(replica.url, 'RL-2', AFTER_MS)])
    expect((await refused(ok, 401, 'invalid_dpop_proof', 'dpop.jti_replay')).detail).toMatchObject({ proof_jti_hash: expect.any(String), first_seen: expect.any(String) })
    expect(String(ok.headers['www-authenticate'])).toMatch(/^DPoP error="invalid_dpop_proof"/)
    await served(bad)
  })

  flawTest('replay-cache-short-ttl', 'replay.dpop-jti-reuse.window-end', 'a proof 54 s old resent 4 s later, inside the 60 s window: correct → 401 invalid_dpop_proof (dpop.jti_replay); a 3 s replay TTL → served; 1 s later it still refuses', async () => {
    const replica = await flawed('replay-cache-short-ttl')
    const iat = () => Math.floor(Date.now() / 1000) - (60 - WINDOW_END_MARGIN_S - WINDOW_END_WAIT_S)
    const [ok, bad, soon] = await Promise.all([
      resendAfter(undefined, 'RW-1', WINDOW_END_WAIT_S * 1000, iat()),
      resendAfter(replica.url, 'RW-2', WINDOW_END_WAIT_S * 1000, iat()),
      // the flaw forgets after 3 s: the after-1s case does not catch it, window-end does
      resendAfter(replica.url, 'RW-3', AFTER_MS),
    ])
    expect((await refused(ok, 401, 'invalid_dpop_proof', 'dpop.jti_replay')).detail).toMatchObject({ proof_jti_hash: expect.any(String) })
    await served(bad)
    await refused(soon, 401, 'invalid_dpop_proof', 'dpop.jti_replay')
  })
})

describe('evidence (NIST SP 800-53 AU-2, AU-3, AU-9)', () => {
  flawTest('evidence-drops-denies', 'unattributed.no-credential', 'correct → 401 and an auth.missing record; flawed → 401 and no record', async () => {
    const replica = await flawed('evidence-drops-denies')
    await refused(await call('', 'GET', ticket('ED-1'), { noAuth: true, proof: null }), 401, undefined, 'auth.missing')
    const res = await call('', 'GET', ticket('ED-1'), { noAuth: true, proof: null, via: replica.url })
    expect(res.status).toBe(401)
    expect(await world.settledRecordsFor(res.traceId)).toEqual([])
  })

  flawTest('evidence-omits-actors', 'escalate.tool-scope', 'correct deny record names the act chain [sub-agent, agent]; flawed records actors []', async () => {
    const replica = await flawed('evidence-omits-actors')
    const body = { ticket_id: 'T-1', amount: 5 }
    const ok = await refused(await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body }), 403, 'insufficient_scope', 'scope.insufficient')
    expect(ok.actors).toEqual([pop.sub.clientId, pop.agent.clientId])
    const bad = await refused(await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body, via: replica.url }), 403, 'insufficient_scope', 'scope.insufficient')
    expect(bad.actors).toEqual([])
  })

  flawTest('evidence-wrong-principal', 'escalate.tool-scope', 'correct deny record names the user as principal; flawed names the calling client', async () => {
    const replica = await flawed('evidence-wrong-principal')
    const body = { ticket_id: 'T-1', amount: 5 }
    const ok = await refused(await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body }), 403, 'insufficient_scope', 'scope.insufficient')
    expect(ok.principal).toEqual({ sub: USER.sub, type: 'user' })
    const bad = await refused(await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body, via: replica.url }), 403, 'insufficient_scope', 'scope.insufficient')
    expect(bad.principal.sub).toBe(pop.sub.clientId)
  })

  flawTest('evidence-sampled', 'unattributed.no-credential', 'correct records every call; flawed (one in 100) records none of a few denies and allows', async () => {
    const replica = await flawed('evidence-sampled')
    await refused(await call('', 'GET', ticket('ES-1'), { noAuth: true, proof: null }), 401, undefined, 'auth.missing')
    const sent = [
      ...(await Promise.all([1, 2, 3].map(() => call('', 'GET', ticket('ES-1'), { noAuth: true, proof: null, via: replica.url })))),
      await call(pop.agentToken, 'GET', ticket('ES-2'), { via: replica.url }),
    ]
    expect(sent.map((r) => r.status)).toEqual([401, 401, 401, 200])
    await new Promise((r) => setTimeout(r, 300))
    const traces = new Set(sent.map((r) => r.traceId))
    expect((await world.records()).filter((r) => traces.has(r.correlation.trace_id ?? ''))).toEqual([])
  })

  flawTest('evidence-chain-broken', 'escalate.tool-scope', 'correct stored chains recompute; a flawed sink stores deny records altered, so the chain breaks at the first', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'gatecrash-chain-'))
    const sinkRuntime = await startSink({ dataDir, flaws: ['evidence-chain-broken'], ingestTokenHash: b64urlSha256(world.evidenceSecret) })
    const sink = await serve(sinkRuntime.handler, () => sinkRuntime.close())
    const replica = await startLocalReplica(world, [], { sinkUrl: sink.url, node: 'rs-1/local-chain' })
    cleanup.push(async () => (await replica.close(), await sink.close(), await rm(dataDir, { recursive: true, force: true })))
    const body = { ticket_id: 'T-1', amount: 5 }
    for (let i = 0; i < 25; i++) {
      // one allowed read before the refusals: the chain is intact up to the first deny
      const res = i === 0
        ? await world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/tickets/T-1`, { via: replica.url })
        : await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body, via: replica.url })
      expect(res.status).toBe(i === 0 ? 200 : 403)
    }
    let stored: EvidenceRecord[] = []
    for (const deadline = Date.now() + 3_000; stored.length < 25 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) {
      stored = ((await (await request(`${sink.url}/records?limit=100`)).body.json()) as { records: EvidenceRecord[] }).records
    }
    expect(stored).toHaveLength(25)
    expect(checkChain('rs-1/local-chain', stored)).toMatchObject({ brokenAt: 1, problem: expect.stringContaining('hash does not recompute') })
    expect(stored[0].reason).toBe('ok')
    expect(stored.slice(1).every((r) => r.reason === 'SCOPE.INSUFFICIENT')).toBe(true)
    const all = await world.records()
    for (const node of ['rs-1/0', 'rs-1/1']) expect(checkChain(node, all.filter((r) => r.component === node)).problem).toBeNull()
  })
})

describe('DPoP proof checks (RFC 9449 §4.3)', () => {
  flawTest('dpop-htu-unchecked', 'replay.dpop-htu-htm.other-uri', 'a proof for another URI: correct → 401 invalid_dpop_proof (dpop.htu_mismatch); flawed → 200', async () => {
    const replica = await flawed('dpop-htu-unchecked')
    for (const via of [undefined, replica.url]) {
      const proof = await world.proofFor(pop.agent, 'GET', ticket('OTHER'), pop.agentToken)
      const res = await call(pop.agentToken, 'GET', ticket('HTU'), { proof, via })
      if (via === undefined) expect((await refused(res, 401, 'invalid_dpop_proof', 'dpop.htu_mismatch')).detail).toMatchObject({ claimed_htu: `${world.rs.origin}${ticket('OTHER')}` })
      else await served(res)
    }
  })

  flawTest('dpop-htu-path-only', 'replay.dpop-htu-origin.other-host', 'this path at another host, port, scheme and resource server: correct → 401 invalid_dpop_proof (dpop.htu_mismatch); flawed (path compared only) → 200', async () => {
    const replica = await flawed('dpop-htu-path-only')
    const origins = [alteredOrigin(world.rs.origin, 'host'), alteredOrigin(world.rs.origin, 'port'), alteredOrigin(world.rs.origin, 'scheme'), world.rs2.origin]
    expect(new Set(origins.map((o) => new URL(o).origin)).size).toBe(4)
    for (const origin of origins) {
      for (const via of [undefined, replica.url]) {
        const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu: `${origin}${ticket('ORG')}`, accessToken: pop.agentToken })
        const res = await call(pop.agentToken, 'GET', ticket('ORG'), { proof, via })
        if (via === undefined) expect((await refused(res, 401, 'invalid_dpop_proof', 'dpop.htu_mismatch')).detail).toMatchObject({ claimed_htu: `${origin}${ticket('ORG')}`, actual_htu: `${world.rs.origin}${ticket('ORG')}` })
        else await served(res)
      }
    }
    // the path is still compared: the flawed replica refuses another tool's path
    const other = await dpopProof(pop.agent.key, { htm: 'GET', htu: `${world.rs.origin}${ticket('OTHER')}`, accessToken: pop.agentToken })
    await refused(await call(pop.agentToken, 'GET', ticket('ORG'), { proof: other, via: replica.url }), 401, 'invalid_dpop_proof', 'dpop.htu_mismatch')
  })

  flawTest('dpop-htu-from-host-header', 'replay.dpop-htu-origin.spoofed-host', 'a proof for another host, the request\'s Host or X-Forwarded-Host naming it: correct → 401 invalid_dpop_proof (dpop.htu_mismatch); flawed (origin from the headers) → 200', async () => {
    const replica = await flawed('dpop-htu-from-host-header')
    const front = new URL(world.rs.origin)
    const spoofed = `${otherHost(front.hostname)}:${front.port}`
    expect(spoofed).not.toBe(front.host)
    for (const header of ['host', 'x-forwarded-host']) {
      for (const via of [undefined, replica.url]) {
        const htu = `${front.protocol}//${spoofed}${ticket('HOST')}`
        const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu, accessToken: pop.agentToken })
        const res = await call(pop.agentToken, 'GET', ticket('HOST'), { proof, via, headers: { [header]: spoofed } })
        if (via === undefined) expect((await refused(res, 401, 'invalid_dpop_proof', 'dpop.htu_mismatch')).detail).toMatchObject({ claimed_htu: htu, actual_htu: `${world.rs.origin}${ticket('HOST')}` })
        else await served(res)
      }
    }
    // without a spoofed header the flawed replica builds its origin from its own Host (the replica's
    // address), so an honest proof naming the front is refused there: the flaw is the header trust
    await refused(await call(pop.agentToken, 'GET', ticket('HOST'), { via: replica.url }), 401, 'invalid_dpop_proof', 'dpop.htu_mismatch')
  })

  flawTest('dpop-htm-unchecked', 'replay.dpop-htu-htm.other-method', 'a POST proof on a GET: correct → 401 invalid_dpop_proof (dpop.htm_mismatch); flawed → 200', async () => {
    const replica = await flawed('dpop-htm-unchecked')
    for (const via of [undefined, replica.url]) {
      const proof = await world.proofFor(pop.agent, 'POST', ticket('HTM'), pop.agentToken)
      const res = await call(pop.agentToken, 'GET', ticket('HTM'), { proof, via })
      if (via === undefined) expect((await refused(res, 401, 'invalid_dpop_proof', 'dpop.htm_mismatch')).detail).toMatchObject({ claimed_htm: 'POST', actual_htm: 'GET' })
      else await served(res)
    }
  })

  flawTest('dpop-iat-unchecked', 'replay.dpop-iat-window.past-1h', 'iat 1 h in the past or future: correct → 401 invalid_dpop_proof (dpop.iat_window); flawed → 200; +10 s passes both', async () => {
    const replica = await flawed('dpop-iat-unchecked')
    const now = Math.floor(Date.now() / 1000)
    for (const skew of [-3600, 3600]) {
      for (const via of [undefined, replica.url]) {
        const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu: `${world.rs.origin}${ticket('IAT')}`, accessToken: pop.agentToken, iat: now + skew })
        const res = await call(pop.agentToken, 'GET', ticket('IAT'), { proof, via })
        if (via === undefined) expect((await refused(res, 401, 'invalid_dpop_proof', 'dpop.iat_window')).detail).toMatchObject({ iat_skew_s: expect.any(Number), server_time: expect.any(Number) })
        else await served(res)
      }
    }
    // replay.dpop-iat-window control: a clock 10 s ahead is fine
    const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu: `${world.rs.origin}${ticket('IAT')}`, accessToken: pop.agentToken, iat: now + 10 })
    await served(await call(pop.agentToken, 'GET', ticket('IAT'), { proof }))
  })

  flawTest('dpop-proof-signature-unchecked', 'replay.dpop-malformed.bad-signature', 'a proof whose signature does not verify: correct → 401 invalid_dpop_proof (dpop.signature); flawed → 200', async () => {
    const replica = await flawed('dpop-proof-signature-unchecked')
    for (const via of [undefined, replica.url]) {
      const proof = breakSignature(await world.proofFor(pop.agent, 'GET', ticket('SIG'), pop.agentToken))
      const res = await call(pop.agentToken, 'GET', ticket('SIG'), { proof, via })
      if (via === undefined) await refused(res, 401, 'invalid_dpop_proof', 'dpop.signature')
      else await served(res)
    }
  })

  flawTest('dpop-alg-unchecked', 'replay.dpop-malformed.alg-none', 'alg none and HS256 proofs: correct → 401 invalid_dpop_proof (dpop.alg); flawed → 200', async () => {
    const replica = await flawed('dpop-alg-unchecked')
    for (const alg of ['none', 'HS256'] as const) {
      for (const via of [undefined, replica.url]) {
        const proof = unverifiableProof(pop.agent.key, alg, { htm: 'GET', htu: `${world.rs.origin}${ticket('ALG')}`, accessToken: pop.agentToken })
        const res = await call(pop.agentToken, 'GET', ticket('ALG'), { proof, via })
        if (via === undefined) expect((await refused(res, 401, 'invalid_dpop_proof', 'dpop.alg')).detail).toMatchObject({ alg })
        else await served(res)
      }
    }
  })

  flawTest('dpop-binding-unchecked', 'replay.foreign-key', 'a stolen token with a proof by the thief\'s key: correct → 401 DPoP invalid_token (dpop.key_mismatch); flawed → 200', async () => {
    const replica = await flawed('dpop-binding-unchecked')
    const thief = await newKeyPair()
    for (const via of [undefined, replica.url]) {
      const proof = await dpopProof(thief, { htm: 'GET', htu: `${world.rs.origin}${ticket('KEY')}`, accessToken: pop.agentToken })
      const res = await call(pop.agentToken, 'GET', ticket('KEY'), { proof, via })
      if (via === undefined) expect((await refused(res, 401, 'invalid_token', 'dpop.key_mismatch')).detail).toMatchObject({ expected_jkt: pop.agent.key.jkt, proof_jkt: thief.jkt })
      else await served(res)
    }
  })

  flawTest('dpop-ath-unchecked', 'replay.ath-swap', 'a proof made for token A sent with token B: correct → 401 invalid_dpop_proof (dpop.ath_mismatch); flawed → 200', async () => {
    const replica = await flawed('dpop-ath-unchecked')
    for (const via of [undefined, replica.url]) {
      const proof = await world.proofFor(pop.agent, 'GET', ticket('ATH'), pop.agentToken)
      const res = await call(agentToken2, 'GET', ticket('ATH'), { proof, via })
      if (via === undefined) await refused(res, 401, 'invalid_dpop_proof', 'dpop.ath_mismatch')
      else await served(res)
    }
  })

  flawTest('bearer-accepted', 'replay.bearer-downgrade', 'a DPoP-bound token as Bearer without a proof: correct → 401 Bearer error="invalid_token" (dpop.bearer_downgrade); flawed → 200', async () => {
    const replica = await flawed('bearer-accepted')
    const ok = await call(pop.agentToken, 'GET', ticket('BRR'), { scheme: 'Bearer', proof: null })
    expect(String(ok.headers['www-authenticate'])).toMatch(/^Bearer error="invalid_token"/)
    await refused(ok, 401, 'invalid_token', 'dpop.bearer_downgrade')
    expect((await served(await call(pop.agentToken, 'GET', ticket('BRR'), { scheme: 'Bearer', proof: null, via: replica.url }))).detail).toMatchObject({ presented_scheme: 'Bearer' })
  })
})

describe('access token checks (RFC 9068 §4, RFC 8725)', () => {
  flawTest('audience-unchecked', 'replay.cross-audience', 'an rs-1 token at rs-2: correct → 401 invalid_token (token.audience); flawed rs-2 replica → 200', async () => {
    const replica = await flawed('audience-unchecked', { rsId: 'rs-2' })
    const path = `/t/${TENANT}/kb/KB-9`
    await refused(await call(pop.agentToken, 'GET', path, { rs: world.rs2 }), 401, 'invalid_token', 'token.audience')
    await served(await call(pop.agentToken, 'GET', path, { rs: world.rs2, via: replica.url }))
  })

  flawTest('token-alg-none-accepted', 'escalate.forged-jwt.alg-none', 'the token re-issued unsigned (alg none) with a wider scope: correct → 401 invalid_token (token.alg); flawed → 200', async () => {
    const replica = await flawed('token-alg-none-accepted')
    const forged = unsignedCopy(pop.subToken, { scope: 'tickets:read customers:read' })
    const path = `/t/${TENANT}/customers/C-1`
    const ok = await refused(await world.call(pop.sub, forged, 'GET', path), 401, 'invalid_token', 'token.alg')
    expect(ok.detail).toMatchObject({ alg: 'none' })
    expect(ok.principal.type).toBe('anonymous')
    await served(await world.call(pop.sub, forged, 'GET', path, { via: replica.url }))
  })

  flawTest('token-signature-unchecked', 'escalate.claim-tamper', 'scope edited without re-signing, and a null signature: correct → 401 invalid_token (token.signature); flawed → 200', async () => {
    const replica = await flawed('token-signature-unchecked')
    const tampered = tamperClaims(pop.subToken, { scope: 'tickets:read customers:read' })
    const [h, p] = tampered.split('.')
    const path = `/t/${TENANT}/customers/C-2`
    for (const token of [tampered, `${h}.${p}.`]) {
      const ok = await refused(await world.call(pop.sub, token, 'GET', path), 401, 'invalid_token', 'token.signature')
      expect(ok.detail).toMatchObject({ alg: 'ES256', kid: decodePart(pop.subToken, 0).kid })
      await served(await world.call(pop.sub, token, 'GET', path, { via: replica.url }))
    }
  })

  flawTest('expiry-unchecked', 'lifecycle.expired-at', 'a token 2 min past exp: correct → 401 invalid_token (token.expired, exp and server time); flawed → 200', async () => {
    const issuer = await TestIssuer.start()
    cleanup.push(() => issuer.close())
    const [correct, bad] = [await startLocalReplica(world, [], { issuer: issuer.issuer }), await flawed('expiry-unchecked', { issuer: issuer.issuer })]
    cleanup.push(() => correct.close())
    const exp = Math.floor(Date.now() / 1000) - 120
    const token = await issuer.sign({
      sub: USER.sub, aud: world.rs.audience, client_id: pop.agent.clientId, act: { sub: pop.agent.clientId }, principal_type: 'user',
      scope: 'tickets:read', tenant: TENANT, cnf: { jkt: pop.agent.key.jkt }, exp,
    })
    const ok = await refused(await call(token, 'GET', ticket('EXP'), { via: correct.url }), 401, 'invalid_token', 'token.expired')
    expect(ok.detail).toMatchObject({ exp, server_time: expect.any(Number) })
    expect(ok.principal.sub).toBe(USER.sub)
    await served(await call(token, 'GET', ticket('EXP'), { via: bad.url }))
  })
})

describe('tool policy (RFC 6750 §3.1, delegation, tenants)', () => {
  flawTest('scope-unchecked', 'escalate.tool-scope', 'refund.issue with a tickets:read token: correct → 403 insufficient_scope and no refund; flawed → 200 and a refund', async () => {
    const replica = await flawed('scope-unchecked')
    const body = { ticket_id: 'T-1', amount: 5 }
    const res = await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body })
    await refused(res, 403, 'insufficient_scope', 'scope.insufficient')
    expect(await world.refundCount(res.traceId)).toBe(0)
    expect((await served(await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body, via: replica.url }))).resource.tool).toBe('refund.issue')
  })

  flawTest('tenant-unchecked', 'escalate.cross-tenant', 'another tenant\'s ticket: correct → 404 not_found (tenant.mismatch); flawed → 200', async () => {
    const replica = await flawed('tenant-unchecked')
    const path = '/t/t_other/tickets/T-1'
    expect((await refused(await call(pop.agentToken, 'GET', path), 404, 'not_found', 'tenant.mismatch')).detail).toMatchObject({ token_tenant: TENANT })
    await served(await call(pop.agentToken, 'GET', path, { via: replica.url }))
  })

  flawTest('cross-tenant-writes-unchecked', 'escalate.cross-tenant.write', 'a refund under another tenant\'s path: correct → 404 not_found (tenant.mismatch) and no refund; flawed → 200 and a refund, while its reads stay checked', async () => {
    const replica = await flawed('cross-tenant-writes-unchecked')
    const path = '/t/t_other/refunds'
    const body = { ticket_id: 'T-X', amount: 5 }
    const res = await call(pop.agentToken, 'POST', path, { body })
    expect((await refused(res, 404, 'not_found', 'tenant.mismatch')).detail).toMatchObject({ token_tenant: TENANT, requested_tenant: 't_other' })
    expect(await world.refundCount(res.traceId)).toBe(0)
    const bad = await served(await call(pop.agentToken, 'POST', path, { body, via: replica.url }))
    expect(bad.resource).toMatchObject({ tool: 'refund.issue', tenant: 't_other' })
    await refused(await call(pop.agentToken, 'GET', '/t/t_other/tickets/T-1', { via: replica.url }), 404, 'not_found', 'tenant.mismatch')
  })

  flawTest('no-credential-allowed', 'unattributed.no-credential', 'no Authorization header: correct → 401 challenge without error (auth.missing); flawed → 200, recorded as anonymous', async () => {
    const replica = await flawed('no-credential-allowed')
    await refused(await call('', 'GET', ticket('NC'), { noAuth: true, proof: null }), 401, undefined, 'auth.missing')
    expect((await served(await call('', 'GET', ticket('NC'), { noAuth: true, proof: null, via: replica.url }))).principal).toEqual({ sub: null, type: 'anonymous' })
  })

  flawTest('delegation-not-required', 'unattributed.agent-as-user', 'the agent\'s own client_credentials token (no act): correct → 403 access_denied (policy.delegation_required); flawed → 200', async () => {
    const replica = await flawed('delegation-not-required')
    const res = await call(ownToken, 'GET', ticket('DEL'))
    expect(res.headers['www-authenticate']).toBeUndefined()
    const r = await refused(res, 403, 'access_denied', 'policy.delegation_required')
    expect(r).toMatchObject({ principal: { sub: pop.agent.clientId, type: 'agent' }, actors: [], detail: { client_id: pop.agent.clientId, missing: 'act' } })
    await served(await call(ownToken, 'GET', ticket('DEL'), { via: replica.url }))
  })
})

describe('the flaw table', () => {
  const RS_FLAWS = [
    'replay-cache-off', 'replay-cache-per-replica', 'evidence-drops-denies', 'evidence-omits-actors', 'evidence-wrong-principal',
    'evidence-sampled', 'evidence-chain-broken', 'dpop-htu-unchecked', 'dpop-htm-unchecked', 'dpop-iat-unchecked',
    'dpop-proof-signature-unchecked', 'dpop-alg-unchecked', 'dpop-binding-unchecked', 'dpop-ath-unchecked', 'bearer-accepted',
    'audience-unchecked', 'scope-unchecked', 'tenant-unchecked', 'token-alg-none-accepted', 'token-signature-unchecked',
    'no-credential-allowed', 'delegation-not-required', 'expiry-unchecked',
    'replay-cache-ttl-seconds', 'replay-cache-short-ttl', 'dpop-htu-path-only', 'dpop-htu-from-host-header', 'cross-tenant-writes-unchecked',
  ]

  test('every resource-server flaw has a test above, by a case its caughtBy names', () => {
    expect([...tested.keys()].sort()).toEqual([...RS_FLAWS].sort())
    for (const [flaw, caseId] of tested) {
      const info = referenceTarget.flaws.find((f) => f.name === flaw)
      expect(info, flaw).toBeDefined()
      expect(info!.caughtBy, flaw).toContain(caseId)
    }
  })
})
