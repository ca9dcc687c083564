import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import type { EvidenceSource, EvidencePage } from '../../../harness/contracts/evidence-source.ts'
import { AttemptLog } from '../../../harness/run/attempt-log.ts'
import { EvidenceTail } from '../../../harness/run/evidence-tail.ts'
import { Progress } from '../../../harness/run/progress.ts'
import { RunStore } from '../../../harness/run/run-store.ts'
import { legit } from '../oracle/fixtures.ts'
import { mixedTraffic, scratch, removeScratch } from './store-fixtures.ts'

afterAll(removeScratch)

/** A sink that delivers `evidence` a slice at a time (`arrived()` more per read), paging like the HTTP source. */
function growingSink(evidence: EvidenceRecord[], perRead: number, pageSize = 7) {
  let arrived = 0
  let down = false
  const source: EvidenceSource = {
    async *pages(after: string | null = null): AsyncGenerator<EvidencePage> {
      if (down) throw new Error('sink unreachable')
      arrived = Math.min(evidence.length, arrived + perRead)
      let from = after === null ? 0 : Number(after)
      for (;;) {
        const records = evidence.slice(from, Math.min(arrived, from + pageSize))
        from += records.length
        yield { records, cursor: String(from) }
        if (records.length < pageSize) return
      }
    },
    async heads() {
      return {}
    },
    kind: 'test',
    integrity: 'chained',
    close: async () => {},
  }
  return { source, setDown: (d: boolean) => (down = d) }
}

const until = async (ok: () => boolean, ms = 3000) => {
  const end = Date.now() + ms
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
}

describe('the evidence tail streams records into run.db while the run measures', () => {
  test('tail pages + the final read from its cursor store every record once, in delivery order; a failed poll is retried', async () => {
    const { attempts, evidence } = mixedTraffic(200, 7)
    const file = path.join(await scratch(), 'run.db')
    const log = await AttemptLog.open(file)
    for (const a of attempts) log.append(a)
    const sink = growingSink(evidence, 40)
    const tail = new EvidenceTail({ source: sink.source, cursor: null, intervalMs: 5, onRecords: (r) => log.appendEvidence(r) })
    tail.start()
    await until(() => tail.records >= 80)
    sink.setDown(true)
    const failuresBefore = tail.failures
    await until(() => tail.failures > failuresBefore)
    expect(tail.failures).toBeGreaterThan(failuresBefore)
    sink.setDown(false)
    await until(() => tail.records >= 120)
    const cursor = await tail.stop()
    const seenByTail = tail.records
    expect(seenByTail).toBeGreaterThanOrEqual(120)
    expect(seenByTail).toBeLessThan(evidence.length)
    expect(cursor).toBe(String(seenByTail))
    await log.close()

    // finalize.ts: the final read goes on from the tail's cursor
    const store = RunStore.open(file)
    try {
      for await (const page of growingSink(evidence, evidence.length).source.pages(cursor)) store.appendEvidence(page.records)
      expect(store.evidenceCount()).toBe(evidence.length)
      const ids = [...store.evidencePages(1000)].flat().map((r) => r.record.id)
      expect(ids).toEqual(evidence.map((r) => r.id))
    } finally {
      store.close()
    }
  })

  test('a page that lands after stop() is dropped with its cursor (the final read gets it instead)', async () => {
    const { evidence } = mixedTraffic(20, 3)
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const source: EvidenceSource = {
      async *pages() {
        await gate
        yield { records: evidence, cursor: 'end' }
      },
      heads: async () => ({}),
      kind: 'test',
      integrity: 'chained',
      close: async () => {},
    }
    const got: EvidenceRecord[] = []
    const tail = new EvidenceTail({ source, cursor: 'start', intervalMs: 1, stopWaitMs: 20, onRecords: (r) => got.push(...r) })
    tail.start()
    await new Promise((r) => setTimeout(r, 10))
    expect(await tail.stop()).toBe('start')
    release()
    await new Promise((r) => setTimeout(r, 10))
    expect(got).toEqual([])
  })
})

describe('live progress', () => {
  test('evidence lag joins records to attempts by trace id; active faults are named', () => {
    const out = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream
    const p = new Progress(out)
    const a = legit(1, { ended_at: 1_000_000 })
    const b = legit(2, { ended_at: 1_000_500 })
    p.observe(a)
    p.observe(b)
    expect(p.line()).toContain('evidence lag p95 - (0 seen)')
    const rec = (trace: string) => ({ correlation: { trace_id: trace } }) as unknown as EvidenceRecord
    p.observeEvidence([rec(a.trace_id), rec('someone-else')], 1_001_200)
    expect(p.line()).toContain('evidence lag p95 1.2 s (1 seen)')
    p.observeEvidence([rec(a.trace_id)], 1_009_000) // the same attempt again: already joined
    expect(p.line()).toContain('(1 seen)')
    p.activeFaults = () => [{ label: 'pause replay-store 5s–13s' }]
    expect(p.line()).toMatch(/faults: pause replay-store 5s–13s$/)
  })

  test('the lag summary run.json carries (evidence.lag): none before a record joined, then its percentiles in ms', () => {
    const p = new Progress({ isTTY: false, write: () => true } as unknown as NodeJS.WriteStream)
    const attempts = [1, 2, 3, 4].map((i) => legit(i, { ended_at: 2_000_000 }))
    for (const a of attempts) p.observe(a)
    expect(p.evidenceLagSummary()).toBeNull()
    const rec = (trace: string) => ({ correlation: { trace_id: trace } }) as unknown as EvidenceRecord
    p.observeEvidence(attempts.slice(0, 3).map((a) => rec(a.trace_id)), 2_000_400)
    p.observeEvidence([rec(attempts[3].trace_id)], 2_001_400)
    expect(p.evidenceLagSummary()).toEqual({ seen: 4, p50_ms: 400, p95_ms: 1400, p99_ms: 1400 })
  })
})
