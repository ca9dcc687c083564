/**
 * Evidence ingest for one source kind (lib/ingest-backends.ts), through the source
 * openEvidenceSource(spec) returns, as a run reads it:
 *   throughput: N records written to the backend, then read through pages() from the start, as the
 *               final read does; records/s of the read;
 *   lag:        records written at `rate`/s for `durationMs` while the run's own EvidenceTail
 *               (harness/run/evidence-tail.ts) polls every `pollMs`; per record, time read − time
 *               written (p50, p95, max), and whether every record arrived.
 * A kind that cannot run here (no server, or its source not built yet) answers `available: false`
 * with why, instead of failing the section.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { EvidenceSource } from '../../harness/contracts/evidence-source.ts'
import { openEvidenceSource } from '../../harness/evidence/open-source.ts'
import { EvidenceTail } from '../../harness/run/evidence-tail.ts'
import { childMain, sleep } from '../lib/child.ts'
import { openBackend, unavailable, type Backend, type IngestKind } from '../lib/ingest-backends.ts'

interface Params {
  kind: IngestKind
  mode: 'throughput' | 'lag'
  n: number
  rate: number
  durationMs: number
  pollMs: number
}

export type IngestResult =
  | { kind: IngestKind; mode: Params['mode']; available: false; why: string }
  | {
      kind: IngestKind
      mode: 'throughput'
      available: true
      records: number
      writeMs: number
      readMs: number
      recordsPerSec: number
      pages: number
    }
  | { kind: IngestKind; mode: 'lag'; available: true; written: number; read: number; rate: number; lagP50Ms: number; lagP95Ms: number; lagMaxMs: number; pollMs: number }

/** writes per write() call in the throughput mode (a sink batch, an INSERT, an export) */
const BATCH = 1_000

function pct(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

await childMain<Params, IngestResult>(async (p) => {
  const why = unavailable(p.kind)
  if (why) return { kind: p.kind, mode: p.mode, available: false, why }
  const dir = await mkdtemp(path.join(tmpdir(), `gatecrash-bench-ingest-${p.kind}-`))
  let backend: Backend | undefined
  let source: EvidenceSource | undefined
  try {
    try {
      backend = await openBackend(p.kind, dir)
      source = openEvidenceSource(backend.spec)
      await backend.attach?.(source)
    } catch (e) {
      return { kind: p.kind, mode: p.mode, available: false, why: (e as Error).message.split('\n')[0] }
    }
    return p.mode === 'throughput' ? await throughput(p, backend, source) : await lag(p, backend, source)
  } finally {
    await source?.close().catch(() => {})
    await backend?.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
})

async function throughput(p: Params, backend: Backend, source: EvidenceSource): Promise<IngestResult> {
  const w0 = performance.now()
  for (let i = 0; i < p.n; i += BATCH) await backend.write(i + 1, Math.min(BATCH, p.n - i))
  const writeMs = performance.now() - w0
  // a receiver (otlp-logs) may still be storing what the exporter sent: read until all arrived, bounded
  let records = 0
  let pages = 0
  let cursor: string | null = null
  const r0 = performance.now()
  const deadline = Date.now() + 120_000
  while (records < p.n && Date.now() < deadline) {
    for await (const page of source.pages(cursor)) {
      records += page.records.length
      pages++
      cursor = page.cursor ?? cursor
    }
    if (records < p.n) await sleep(20)
  }
  const readMs = performance.now() - r0
  if (records !== p.n) throw new Error(`${p.kind}: read ${records} of ${p.n} records`)
  // A receiver decodes and maps each record as it acknowledges it, so its pages() only hands over
  // what is already mapped: its rate is the SDK's export to the receiver plus that read.
  const ingestMs = source.exportEnv ? writeMs + readMs : readMs
  return { kind: p.kind, mode: 'throughput', available: true, records, writeMs, readMs, recordsPerSec: records / (ingestMs / 1000), pages }
}

async function lag(p: Params, backend: Backend, source: EvidenceSource): Promise<IngestResult> {
  const writtenAt = new Map<string, number>()
  const lags: number[] = []
  let read = 0
  const tail = new EvidenceTail({
    source,
    cursor: null,
    intervalMs: p.pollMs,
    onRecords(records, readAt) {
      for (const r of records) {
        read++
        // a source names its records by its own prefix and the mapped id (`api:<origin>:ev_7`)
        const id = writtenAt.has(r.id) ? r.id : r.id.slice(r.id.lastIndexOf(':') + 1)
        const t = writtenAt.get(id)
        if (t !== undefined) {
          lags.push(readAt - t)
          writtenAt.delete(id)
        }
      }
    },
  })
  tail.start()
  // paced by the clock, 50 ms ticks: each writes what is due by then
  const tickMs = 50
  const t0 = Date.now()
  let written = 0
  while (Date.now() - t0 < p.durationMs) {
    const due = Math.floor(((Date.now() - t0) / 1000) * p.rate)
    if (due > written) {
      const now = Date.now()
      for (let i = written + 1; i <= due; i++) writtenAt.set(`ev_${i}`, now)
      await backend.write(written + 1, due - written)
      written = due
    }
    await sleep(tickMs)
  }
  const until = Date.now() + 3 * p.pollMs + 5_000
  while (read < written && Date.now() < until) await sleep(100)
  await tail.stop()
  lags.sort((a, b) => a - b)
  return { kind: p.kind, mode: 'lag', available: true, written, read, rate: written / (p.durationMs / 1000), lagP50Ms: pct(lags, 0.5), lagP95Ms: pct(lags, 0.95), lagMaxMs: lags[lags.length - 1] ?? Number.NaN, pollMs: p.pollMs }
}
