/**
 * The run store's sections of the bench (issue 14): `join` (joining and grading a million attempts
 * against a million records, beside one SQL statement over the same rows: the floor) and `ingest`
 * (each evidence source kind's read rate and live-tail lag). Orchestration only: every measurement
 * is a child (children/join-setup.ts, join.ts, ingest.ts).
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { JoinSetup } from '../children/join-setup.ts'
import type { JoinResult } from '../children/join.ts'
import type { IngestResult } from '../children/ingest.ts'
import { median, runChild } from './child.ts'
import { INGEST_KINDS } from './ingest-backends.ts'
import type { IngestRow, JoinSection } from './report.ts'

export async function joinSection(o: { n: number; reps: number; log: (line: string) => void }): Promise<JoinSection> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-bench-join-'))
  try {
    const setup = await runChild<JoinSetup>('join-setup', { dir, n: o.n }, { timeoutMs: 1_800_000 })
    o.log(`join: ${o.n.toLocaleString('en-US')} attempts and records written in ${(setup.setupMs / 1000).toFixed(1)} s (run store ${setup.storeMb.toFixed(0)} MB, floor ${setup.floorMb.toFixed(0)} MB)`)
    const runs: { gatecrash: JoinResult[]; floor: JoinResult[] } = { gatecrash: [], floor: [] }
    const problems: string[] = []
    const copy = path.join(dir, 'measured.db')
    for (let rep = 0; rep < o.reps; rep++) {
      // alternate which goes first, so neither always meets the same minute of the shared machine
      const order: ('gatecrash' | 'floor')[] = rep % 2 ? ['floor', 'gatecrash'] : ['gatecrash', 'floor']
      for (const mode of order) {
        // a fresh, never-graded copy each time: the step measured includes building the lookup indexes
        await copyFile(mode === 'floor' ? setup.floor : setup.store, copy)
        const r = await runChild<JoinResult>('join', { mode, file: copy, n: o.n, lastEnd: setup.lastEnd, cases: setup.expected.cases }, { execArgv: ['--expose-gc'], timeoutMs: 1_800_000 })
        for (const suffix of ['', '-wal', '-shm']) await rm(copy + suffix, { force: true })
        runs[mode].push(r)
        problems.push(...check(r, setup).map((p) => `rep ${rep + 1}, ${mode}: ${p}`))
        o.log(`rep ${rep + 1}: join ${mode} ${(r.wallMs / 1000).toFixed(2)} s wall, ${(r.cpuMs / 1000).toFixed(2)} s CPU; heap after GC ${r.heapBeforeMb.toFixed(1)} → ${r.heapAfterMb.toFixed(1)} MB, peak RSS ${r.peakRssMb.toFixed(0)} MB`)
      }
    }
    const g = runs.gatecrash
    const f = runs.floor
    const ratios = g.map((x, i) => x.wallMs / f[i].wallMs)
    return {
      n: o.n,
      reps: o.reps,
      setupMs: setup.setupMs,
      storeMb: setup.storeMb,
      expected: { ...setup.expected, cases: setup.expected.cases.length },
      gatecrash: {
        wallMsRuns: g.map((x) => x.wallMs),
        wallMsMedian: median(g.map((x) => x.wallMs)),
        cpuMsMedian: median(g.map((x) => x.cpuMs)),
        heapBeforeMbMedian: median(g.map((x) => x.heapBeforeMb)),
        heapAfterMbMedian: median(g.map((x) => x.heapAfterMb)),
        retainedMbRuns: g.map((x) => x.heapAfterMb - x.heapBeforeMb),
        rssBeforeMbMedian: median(g.map((x) => x.rssBeforeMb)),
        peakRssMbMedian: median(g.map((x) => x.peakRssMb)),
        joins: g[0]?.joins,
        verdicts: g[0]?.verdicts,
      },
      floor: {
        wallMsRuns: f.map((x) => x.wallMs),
        wallMsMedian: median(f.map((x) => x.wallMs)),
        indexMsMedian: median(f.map((x) => x.indexMs ?? Number.NaN)),
        peakRssMbMedian: median(f.map((x) => x.peakRssMb)),
        matches: f[0]?.matches ?? 0,
      },
      ratioRuns: ratios,
      ratioMedian: median(ratios),
      problems,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** What the step produced against what the generator intended: a bench that joined nothing fails here. */
function check(r: JoinResult, s: JoinSetup): string[] {
  const out: string[] = []
  const e = s.expected
  if (r.mode === 'floor') {
    if (r.matches !== e.joined) out.push(`floor matched ${r.matches} pairs, the generator intended ${e.joined}`)
    return out
  }
  if (r.joins?.attemptsJoined !== e.joined) out.push(`${r.joins?.attemptsJoined} attempts joined, intended ${e.joined}`)
  if (r.joins?.trace !== e.trace || r.joins?.tokenWindow !== e.tokenWindow) out.push(`joins by trace ${r.joins?.trace} / token window ${r.joins?.tokenWindow}, intended ${e.trace} / ${e.tokenWindow}`)
  for (const v of new Set([...Object.keys(e.verdicts), ...Object.keys(r.verdicts ?? {})])) {
    if ((r.verdicts?.[v] ?? 0) !== (e.verdicts[v] ?? 0)) out.push(`verdict ${v}: ${r.verdicts?.[v] ?? 0}, intended ${e.verdicts[v] ?? 0}`)
  }
  if (r.graded && (r.graded.attempts !== s.n || r.graded.matched !== e.joined || !r.graded.chainsOk || r.graded.tampered !== 0)) out.push(`grader: ${JSON.stringify(r.graded)}`)
  return out
}

export async function ingestSection(o: { n: number; rate: number; durationMs: number; reps: number; log: (line: string) => void }): Promise<IngestRow[]> {
  const rows: IngestRow[] = []
  for (const kind of INGEST_KINDS) {
    const tp: IngestResult[] = []
    const lag: IngestResult[] = []
    for (let rep = 0; rep < o.reps; rep++) {
      const t = await runChild<IngestResult>('ingest', { kind, mode: 'throughput', n: o.n, rate: o.rate, durationMs: o.durationMs, pollMs: 1000 }, { timeoutMs: 600_000 })
      tp.push(t)
      if (!t.available) {
        o.log(`ingest ${kind}: not available: ${t.why}`)
        break
      }
      o.log(`rep ${rep + 1}: ingest ${kind}: ${Math.round(t.mode === 'throughput' ? t.recordsPerSec : 0).toLocaleString('en-US')} records/s read`)
    }
    if (tp[0]?.available) {
      // one lag window per kind: its 15 s at 200/s already holds ~3,000 samples
      const l = await runChild<IngestResult>('ingest', { kind, mode: 'lag', n: o.n, rate: o.rate, durationMs: o.durationMs, pollMs: 1000 }, { timeoutMs: o.durationMs + 120_000 })
      lag.push(l)
      if (l.available && l.mode === 'lag') o.log(`ingest ${kind}: lag at ${l.rate.toFixed(0)}/s polled every ${l.pollMs} ms: p50 ${l.lagP50Ms} ms, p95 ${l.lagP95Ms} ms; ${l.read} of ${l.written} read`)
    }
    const first = tp[0]
    if (!first || !first.available) {
      rows.push({ kind, available: false, why: first && !first.available ? first.why : 'not run' })
      continue
    }
    const t = tp.filter((x): x is Extract<IngestResult, { mode: 'throughput'; available: true }> => x.available && x.mode === 'throughput')
    const l = lag.find((x): x is Extract<IngestResult, { mode: 'lag'; available: true }> => x.available && x.mode === 'lag')
    rows.push({
      kind,
      available: true,
      records: o.n,
      recordsPerSecRuns: t.map((x) => x.recordsPerSec),
      recordsPerSecMedian: median(t.map((x) => x.recordsPerSec)),
      writeMsMedian: median(t.map((x) => x.writeMs)),
      ...(l ? { lag: { rate: l.rate, seconds: o.durationMs / 1000, written: l.written, read: l.read, p50Ms: l.lagP50Ms, p95Ms: l.lagP95Ms, maxMs: l.lagMaxMs, pollMs: l.pollMs } } : {}),
    })
  }
  return rows
}
