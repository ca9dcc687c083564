/**
 * Evidence integrity at the sink: what the sink does to stored records and what readers and
 * writers see of it. A correct sink never changes or loses an acknowledged record, and a reader's
 * cursor never skips a record, even when a log edited on disk is reloaded by a restarted sink.
 * Sinks and writers run in this process (evidence-sink/sink.ts, the sink process's own factory),
 * so each test owns its chains and can name every record id and hash.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { recordHash } from '../../../harness/evidence/chain.ts'
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { checkChain } from '../../../harness/evidence/integrity.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { startSink } from '../../../targets/reference/evidence-sink/sink.ts'
import { IDLE_MS, REWRITE_AGE_MS, TAIL_LOST } from '../../../targets/reference/evidence-sink/sink-flaws.ts'
import { sinkHandler } from '../../../targets/reference/evidence-sink/sink-server.ts'
import { EVIDENCE_LOG, SinkStore } from '../../../targets/reference/evidence-sink/sink-store.ts'
import { EvidenceWriter, type RecordInput } from '../../../targets/reference/evidence-writer/evidence-writer.ts'
import { serve, type LocalServer } from './helpers/local-replica.ts'

/** the writers' secret every sink in this file is started with (its SHA-256 in the sink's config) */
const SECRET = 'spec-writers-secret-0123456789abcdef0123456789'
const INGEST_HASH = b64urlSha256(SECRET)

const dirs: string[] = []
const cleanup: (() => Promise<void>)[] = []
afterAll(async () => {
  await Promise.allSettled(cleanup.map((c) => c()))
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'gatecrash-integrity-'))
  dirs.push(d)
  return d
}

/** `n` linked records of one writer after `prev`, ids `${tag}-0`, `${tag}-1`… */
function chainOf(component: string, tag: string, n: number, prev: string | null = null, decision: 'allow' | 'deny' = 'allow'): EvidenceRecord[] {
  const out: EvidenceRecord[] = []
  for (let i = 0; i < n; i++) {
    const base = {
      v: 1 as const, id: `${tag}-${i}`, ts: new Date().toISOString(), component, decision, reason: decision === 'allow' ? 'ok' : 'scope.insufficient',
      status: decision === 'allow' ? 200 : 403, ...(decision === 'deny' ? { error: 'insufficient_scope' } : {}), principal: { sub: 'user_42', type: 'user' as const }, actors: ['agent_1'], resource: {}, correlation: { trace_id: `${tag}${i}` }, prev,
    }
    const r = { ...base, hash: recordHash(base) }
    out.push(r)
    prev = r.hash
  }
  return out
}

function readAll(store: SinkStore, after: string | null = null): { ids: string[]; cursor: string } {
  const page = store.page(after, 5_000)
  if (page === null) throw new Error('unknown cursor')
  return { ids: page.records.map((r) => r.id), cursor: page.cursor }
}

describe('sink cursor', () => {
  test('a log edited on disk (records of one chain cut) and reloaded by a restarted sink: a reader resumes right after the last record it read, skipping nothing', async () => {
    const dir = await dataDir()
    const first = new SinkStore(dir)
    await first.load()
    const a = chainOf('rs-1/0', 'a', 4)
    const b = chainOf('rs-1/1', 'b', 3)
    // interleaved batches: a0 a1 | b0 | a2 a3 | b1 b2
    for (const batch of [a.slice(0, 2), b.slice(0, 1), a.slice(2, 4), b.slice(1, 3)]) expect(first.ingest(batch).result.ok).toBe(true)
    await first.flushed()
    const read = readAll(first)
    expect(read.ids).toEqual(['a-0', 'a-1', 'b-0', 'a-2', 'a-3', 'b-1', 'b-2'])
    // an insider cuts a2 and a3 out of the file; the sink restarts and writers go on
    const file = join(dir, EVIDENCE_LOG)
    const kept = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '' && !/"id":"a-[23]"/.test(l))
    await writeFile(file, kept.join('\n') + '\n')
    const second = new SinkStore(dir)
    await second.load()
    expect(second.heads()).toEqual({ 'rs-1/0': a[1].hash, 'rs-1/1': b[2].hash })
    const more = chainOf('rs-1/1', 'c', 2, b[2].hash)
    expect(second.ingest(more).result.ok).toBe(true)
    // the old cursor sat 7 records in; the log now holds 7 again, of which c-0 and c-1 are new
    expect(readAll(second, read.cursor).ids).toEqual(['c-0', 'c-1'])
  })

  test('within one sink, a reader whose last record was dropped resumes at the same place', async () => {
    const store = new SinkStore(await dataDir())
    await store.load()
    const a = chainOf('as', 'a', 5)
    expect(store.ingest(a).result.ok).toBe(true)
    const read = readAll(store)
    await store.dropNewest('as', 2)
    expect(store.heads()).toEqual({ as: a[2].hash })
    expect(store.size).toBe(3)
    const again = chainOf('as', 'n', 1, a[2].hash)
    expect(store.ingest(again).result.ok).toBe(true)
    expect(readAll(store, read.cursor).ids).toEqual(['n-0'])
    expect(readAll(store).ids).toEqual(['a-0', 'a-1', 'a-2', 'n-0'])
    await store.flushed()
    expect((await readFile(join(store.file), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as EvidenceRecord).id)).toEqual(['a-0', 'a-1', 'a-2', 'n-0'])
  })

  test('a cursor the sink never issued is refused; an older sink\'s position-only cursor still reads', async () => {
    const store = new SinkStore(await dataDir())
    await store.load()
    expect(store.ingest(chainOf('as', 'a', 3)).result.ok).toBe(true)
    expect(store.page('bm90LWEtY3Vyc29y', 10)).toBeNull()
    expect(store.page(Buffer.from('p:9').toString('base64url'), 10)).toBeNull()
    expect(store.page(Buffer.from('p:1').toString('base64url'), 10)?.records.map((r) => r.id)).toEqual(['a-1', 'a-2'])
  })
})

/** A correct sink store served over HTTP in this process. */
async function servedStore(): Promise<{ store: SinkStore; server: LocalServer }> {
  const store = new SinkStore(await dataDir())
  await store.load()
  const server = await serve(sinkHandler(store, () => {}, INGEST_HASH))
  cleanup.push(() => server.close())
  return { store, server }
}

async function until(what: string, ok: () => boolean, timeoutMs = 3_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !ok(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
  }
}

const allowed = (traceId: string): RecordInput => ({
  decision: 'allow', reason: 'ok', status: 200, principal: { sub: 'user_42', type: 'user' }, client_id: 'agent_1', actors: ['agent_1'],
  resource: { aud: 'https://rs.example' }, correlation: { trace_id: traceId },
})

describe('evidence writer', () => {
  test('the sink lost records it had acknowledged (its head moved back): the writer records a sink_head_moved gap naming both heads and chains its buffer on from the sink head', async () => {
    const { store, server } = await servedStore()
    const lines: string[] = []
    const writer = new EvidenceWriter({ component: 'rs-1/0', sinkUrl: server.url, sinkSecret: SECRET, audience: 'https://rs.example', log: (l) => lines.push(l) })
    cleanup.push(() => writer.close(200))
    await writer.init()
    for (const t of ['t0', 't1', 't2', 't3']) writer.append(allowed(t))
    await until('four records', () => store.size === 4)
    const acknowledged = store.chain('rs-1/0').map((s) => s.record)
    await store.dropNewest('rs-1/0', 2)
    writer.append(allowed('t4'))
    await until('the gap and the next record', () => store.size === 4)
    const chain = store.chain('rs-1/0').map((s) => s.record)
    expect(chain.slice(0, 2)).toEqual(acknowledged.slice(0, 2))
    const [gap, next] = chain.slice(2)
    expect(gap).toMatchObject({
      decision: 'deny', reason: 'system.evidence_gap', status: 0, component: 'rs-1/0', prev: acknowledged[1].hash, resource: { aud: 'https://rs.example' },
      detail: { cause: 'sink_head_moved', expected_head: acknowledged[3].hash, sink_head: acknowledged[1].hash, rechained: 1 },
    })
    expect(next).toMatchObject({ prev: gap.hash, correlation: { trace_id: 't4' } })
    expect(recordHash(next)).toBe(next.hash)
    expect(store.heads()['rs-1/0']).toBe(next.hash)
    expect(lines.join('\n')).toContain(`head is ${acknowledged[1].hash}, not ${acknowledged[3].hash}`)
    // and it goes on as before
    writer.append(allowed('t5'))
    await until('one more', () => store.size === 5)
    expect(store.chain('rs-1/0').at(-1)!.record).toMatchObject({ prev: next.hash, correlation: { trace_id: 't5' } })
  })
})

/** A sink built by the sink process's own factory, with these flaws, served in this process. */
async function flawedSink(flaws: string[]): Promise<{ url: string; dir: string }> {
  const dir = await dataDir()
  const runtime = await startSink({ dataDir: dir, flaws, ingestTokenHash: INGEST_HASH })
  const server = await serve(runtime.handler, () => runtime.close())
  cleanup.push(() => server.close())
  return { url: server.url, dir }
}

/** POST /ingest as a writer of the target (with its secret), or with `bearer` (null: no Authorization) */
async function ingest(url: string, batch: EvidenceRecord[], bearer: string | null = SECRET): Promise<number> {
  const res = await request(`${url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) }, body: JSON.stringify(batch) })
  await res.body.dump()
  return res.statusCode
}

async function heads(url: string): Promise<Record<string, string | null>> {
  return ((await (await request(`${url}/heads`)).body.json()) as { heads: Record<string, string | null> }).heads
}

async function stored(url: string): Promise<EvidenceRecord[]> {
  return ((await (await request(`${url}/records?limit=5000`)).body.json()) as { records: EvidenceRecord[] }).records
}

describe('sink flaws that change acknowledged records (caught by the gatecrash_evidence_integrity gate)', () => {
  // the same two chains go to a correct sink and to one sink per flaw; one wait serves every test
  const as = chainOf('as', 'as', 6)
  // rs-1/0: two allows, a refusal, two allows
  const served = chainOf('rs-1/0', 'rs', 2)
  const refused = chainOf('rs-1/0', 'rsd', 1, served[1].hash, 'deny')
  const rs = [...served, ...refused, ...chainOf('rs-1/0', 'rse', 2, refused[0].hash)]
  const sinks: Record<'correct' | 'truncated' | 'rewritten', { url: string; dir: string }> = {} as never
  const seen: Record<string, Record<string, string | null>> = {}

  beforeAll(async () => {
    ;[sinks.correct, sinks.truncated, sinks.rewritten] = await Promise.all([flawedSink([]), flawedSink(['evidence-tail-truncated']), flawedSink(['evidence-history-rewritten'])])
    for (const sink of Object.values(sinks)) {
      expect(await ingest(sink.url, as)).toBe(200)
      expect(await ingest(sink.url, rs)).toBe(200)
    }
    for (const [name, sink] of Object.entries(sinks)) seen[name] = await heads(sink.url)
    // past the idle time and the rewrite age, plus two ticks of the flaw jobs
    await new Promise((r) => setTimeout(r, Math.max(IDLE_MS, REWRITE_AGE_MS) + 600))
  }, 20_000)

  test('correct sink: heads only move forward and every acknowledged record stays as it was, on disk too', async () => {
    expect(seen.correct).toEqual({ as: as[5].hash, 'rs-1/0': rs[4].hash })
    expect(await heads(sinks.correct.url)).toEqual(seen.correct)
    expect(await stored(sinks.correct.url)).toEqual([...as, ...rs])
    const onDisk = (await readFile(join(sinks.correct.dir, EVIDENCE_LOG), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as EvidenceRecord)
    expect(onDisk).toEqual([...as, ...rs])
  })

  test(`evidence-tail-truncated: once a chain is idle, its newest ${TAIL_LOST} records are gone and /heads moves back to an ancestor the reader saw before; the chains still verify`, async () => {
    expect(seen.truncated).toEqual({ as: as[5].hash, 'rs-1/0': rs[4].hash })
    expect(await heads(sinks.truncated.url)).toEqual({ as: as[2].hash, 'rs-1/0': rs[1].hash })
    const left = await stored(sinks.truncated.url)
    expect(left.map((r) => r.id)).toEqual(['as-0', 'as-1', 'as-2', 'rs-0', 'rs-1'])
    expect(left).toEqual([...as.slice(0, 3), ...rs.slice(0, 2)])
    for (const c of ['as', 'rs-1/0']) expect(checkChain(c, left.filter((r) => r.component === c)).problem).toBeNull()
    // the log on disk lost them too: a restarted sink "recovers" the shortened chains
    const onDisk = (await readFile(join(sinks.truncated.dir, EVIDENCE_LOG), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as EvidenceRecord).id)
    expect(onDisk).toEqual(['as-0', 'as-1', 'as-2', 'rs-0', 'rs-1'])
    // once per idle spell: another tick later nothing more is lost; a writer linking to the new head is taken
    await new Promise((r) => setTimeout(r, 600))
    expect(await heads(sinks.truncated.url)).toEqual({ as: as[2].hash, 'rs-1/0': rs[1].hash })
    expect(await ingest(sinks.truncated.url, chainOf('as', 'as-next', 1, as[5].hash))).toBe(409)
    expect(await ingest(sinks.truncated.url, chainOf('as', 'as-next', 1, as[2].hash))).toBe(200)
  })

  test('evidence-history-rewritten: the refusal older than the rewrite age turns into an allow, it and every later record of its chain are hashed again, and the chain verifies; other chains are untouched', async () => {
    expect(seen.rewritten).toEqual({ as: as[5].hash, 'rs-1/0': rs[4].hash })
    const { hash: _h, error: _e, ...refusal } = rs[2]
    const edited = { ...refusal, decision: 'allow' as const, reason: 'ok', status: 200 }
    const r2 = { ...edited, hash: recordHash(edited) }
    const r3 = { ...rs[3], prev: r2.hash, hash: recordHash({ ...rs[3], prev: r2.hash }) }
    const r4 = { ...rs[4], prev: r3.hash, hash: recordHash({ ...rs[4], prev: r3.hash }) }
    const now = await stored(sinks.rewritten.url)
    expect(now.map((r) => r.id)).toEqual([...as, ...rs].map((r) => r.id))
    expect(now).toEqual([...as, rs[0], rs[1], r2, r3, r4])
    expect(now.find((r) => r.id === 'rsd-0')).toMatchObject({ decision: 'allow', reason: 'ok', status: 200, prev: rs[1].hash })
    expect(checkChain('rs-1/0', now.filter((r) => r.component === 'rs-1/0')).problem).toBeNull()
    // the head the reader saw is in no chain the sink now holds
    expect(await heads(sinks.rewritten.url)).toEqual({ as: as[5].hash, 'rs-1/0': r4.hash })
    expect(now.some((r) => r.hash === rs[4].hash)).toBe(false)
    const onDisk = (await readFile(join(sinks.rewritten.dir, EVIDENCE_LOG), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as EvidenceRecord)
    expect(onDisk).toEqual(now)
  })

  test('both flaws name their control and the gate that catches them, with the cases whose traffic the fast self-test sends', () => {
    for (const name of ['evidence-tail-truncated', 'evidence-history-rewritten']) {
      const f = referenceTarget.flaws.find((x) => x.name === name)
      expect(f, name).toMatchObject({ caughtBy: ['escalate.tool-scope', 'unattributed.no-credential'], caughtByGate: 'gatecrash_evidence_integrity' })
      expect(f!.control, name).toMatch(/NIST SP 800-53 AU-9/)
    }
    expect(referenceTarget.flaws.filter((f) => f.caughtByGate === 'gatecrash_evidence_integrity').map((f) => f.name)).toEqual(['evidence-tail-truncated', 'evidence-history-rewritten'])
  })
})

describe('R-GC-internal-3: the sink appends only its target\'s writers\' records (flaw evidence-sink-unauthenticated)', () => {
  // The chain is unkeyed: anyone who can compute SHA-256 can make an allow record that links to the
  // current head and verifies. Only the writers' secret keeps a local process from appending one.
  const forgedAfter = (prev: string): EvidenceRecord[] => chainOf('as', 'forged', 1, prev)

  test('a forged allow record linking to the current head, posted without the writers\' secret or with a wrong one → 401 invalid_token, stored nowhere, head unchanged; the writers\' secret is still taken', async () => {
    const sink = await flawedSink([])
    const genuine = chainOf('as', 'genuine', 2)
    expect(await ingest(sink.url, genuine)).toBe(200)
    const forged = forgedAfter(genuine[1].hash)
    expect(checkChain('as', [...genuine, ...forged]).problem).toBeNull()
    for (const bearer of [null, 'not-the-writers-secret', `${SECRET}x`]) {
      const res = await request(`${sink.url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) }, body: JSON.stringify(forged) })
      expect(res.statusCode, String(bearer)).toBe(401)
      expect(res.headers['www-authenticate'], String(bearer)).toBe('Bearer error="invalid_token"')
      expect(((await res.body.json()) as { error: string }).error).toBe('invalid_token')
    }
    expect(await heads(sink.url)).toEqual({ as: genuine[1].hash })
    expect((await stored(sink.url)).map((r) => r.id)).toEqual(['genuine-0', 'genuine-1'])
    const onDisk = (await readFile(join(sink.dir, EVIDENCE_LOG), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as EvidenceRecord).id)
    expect(onDisk).toEqual(['genuine-0', 'genuine-1'])
    expect(await ingest(sink.url, chainOf('as', 'next', 1, genuine[1].hash))).toBe(200)
  })

  test('flaw evidence-sink-unauthenticated: the same forged record is taken without any secret, and the chain it joins still verifies', async () => {
    const sink = await flawedSink(['evidence-sink-unauthenticated'])
    const genuine = chainOf('as', 'genuine', 2)
    expect(await ingest(sink.url, genuine)).toBe(200)
    const forged = forgedAfter(genuine[1].hash)
    expect(await ingest(sink.url, forged, null)).toBe(200)
    const now = await stored(sink.url)
    expect(now.map((r) => r.id)).toEqual(['genuine-0', 'genuine-1', 'forged-0'])
    expect(checkChain('as', now).problem).toBeNull()
    const f = referenceTarget.flaws.find((x) => x.name === 'evidence-sink-unauthenticated')
    expect(f).toMatchObject({ caughtBy: [], caughtBySpec: 'test/spec/reference-target/evidence-integrity.test.ts' })
  })

  test('a sink started without the writers\' secret hash refuses to start (no open ingest by omission)', async () => {
    await expect(startSink({ dataDir: await dataDir(), flaws: [], ingestTokenHash: '' })).rejects.toThrow(/ingestTokenHash/)
  })
})
