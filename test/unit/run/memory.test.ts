import { rm } from 'node:fs/promises'
import { describe, expect, test } from 'vitest'
import { RunStore } from '../../../harness/run/run-store.ts'
import { pushThrough } from './scale-driver.ts'
import { scratch } from './store-fixtures.ts'

// The nightly twin (test/nightly/run-store-scale.test.ts) pushes 1,000,000 attempts through.
describe('issue: attempts and evidence stream through the run store, so memory stays flat', () => {
  test('50,000 attempts and their evidence: record, store, grade and write CSVs, keeping nothing per attempt', async () => {
    const dirs = [await scratch('gatecrash-scale-'), await scratch('gatecrash-scale-')]
    const from = RunStore.checkAsideFrom
    try {
      // A small run first, so the process's fixed working set (V8 heap sizing, the writer thread,
      // SQLite caches, the grader's record-check worker) is in place and what the big run adds is
      // what grows with attempts. Both runs check their records in the worker (below 20,000 records
      // it would not be started), and the small run is large enough for V8 to have sized its heap
      // for pages of parsed rows (at 10,000, with 1,000-row pages, it had not: its peak, the one the
      // big run is compared with, came out ~70 MB lower while the big run's stayed ~360 MB).
      RunStore.checkAsideFrom = 1_000
      const warm = await pushThrough(20_000, dirs[0])
      const report = await pushThrough(50_000, dirs[1])
      console.log(JSON.stringify({ warm: warm.phases, run: report.phases, recording: report.recordingRssMb, grading: report.gradingRssMb }))
      expect(report.graded.attempts).toBe(50_000)
      expect(report.graded.evidence).toMatchObject({ records: 49_500, matched: 49_500, tampered: 0 })
      expect(report.graded.evidence.chains.every((c) => c.ok)).toBe(true)
      // nothing per attempt survives a phase: the in-memory path before the run store held
      // ~1.8 KB per attempt (attempt, record, verdict, metric samples), 88 MB at this size
      for (const p of report.phases) expect(p.retainedHeapMb, p.phase).toBeLessThan(40)
      // RSS is a looser bound: V8's heap swings by ~100 MB between full collections
      const warmPeak = Math.max(...warm.phases.map((p) => p.peakRssMb))
      const peak = Math.max(...report.phases.map((p) => p.peakRssMb))
      expect(peak - warmPeak).toBeLessThan(150)
    } finally {
      RunStore.checkAsideFrom = from
      for (const d of dirs) await rm(d, { recursive: true, force: true })
    }
  })
})
